"""Canonical URLs and headline story keys. Pure functions.

``canonical_url`` maps every spelling of one post's address to one string, so a repost
under ``?utm_source=…``, on ``m.`` or ``amp.`` hosts, behind an AMP cache or a redirect
wrapper (Google News, ``l.facebook.com/l.php?u=``, ``google.com/url?q=``) is the same post:

* scheme and host lower-cased; ``www.``, ``m.``, ``mobile.`` and ``amp.`` host prefixes dropped;
* default ports, fragments and trailing slashes dropped; the query sorted;
* an explicit list of tracking parameters dropped (``TRACKING_PARAMS``, plus ``utm_*``) —
  never "every parameter containing ref": ``?ref=v2`` can be content;
* AMP paths (``/amp``, ``/amp/…``, ``?amp=1``, ``*.cdn.ampproject.org/c/s/…``,
  ``google.com/amp/s/…``) and redirect wrappers whose target is in the URL unwrapped,
  including Google News article links (``news.google.com/rss/articles/CBMi…``) whose id is
  a base64 message carrying the article URL; newer ids that only Google can resolve stay.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "ysclid",
        "igshid",
        "igsh",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mkt_tok",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "mc_cid",
        "mc_eid",
        "pk_campaign",
        "pk_kwd",
        "pk_source",
        "pk_medium",
        "pk_content",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "spm",
        "cmpid",
        "at_medium",
        "at_campaign",
        "ocid",
        "s_cid",
        "wt_mc",
        "rb_clickid",
        "sc_cid",
        "si",
        "feature",
        "smid",
        "cmp",
        "amp",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
# host → query parameters that carry the wrapped target (first absolute http(s) value wins).
REDIRECT_WRAPPERS = {
    "news.google.com": ("url",),
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "l.instagram.com": ("u",),
    "away.vk.com": ("to",),
    "out.reddit.com": ("url",),
    "t.umblr.com": ("z",),
    "slack-redir.net": ("url",),
}
# Redirect endpoints on any host, t.co-style: ``/redirect?url=…``, ``/away?u=…``.
REDIRECT_PATHS = frozenset(
    {"/url", "/redirect", "/away", "/away.php", "/l.php", "/out", "/r", "/link", "/redir", "/go"}
)
REDIRECT_PARAMS = ("url", "u", "to", "q", "target", "dest", "z")
AMP_CACHE = re.compile(r"^(?:[a-z0-9-]+\.)?cdn\.ampproject\.org$")
MAX_UNWRAP = 3
GOOGLE_NEWS_ARTICLE = re.compile(r"^/(?:rss/)?articles/([A-Za-z0-9_-]+)$")
_WORDS = re.compile(r"\w+", re.UNICODE)
STORY_WORDS = 12


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _bare_host(host: str) -> str:
    for prefix in HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def _http(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _wrapped_target(host: str, path: str, query: list[tuple[str, str]]) -> str | None:
    """The URL a redirect wrapper or AMP cache points at, or None when this is not one."""
    if AMP_CACHE.match(host) and path.startswith(("/c/", "/v/")):
        rest = path[3:]
        return "https://" + rest[2:] if rest.startswith("s/") else "http://" + rest
    if _bare_host(host).startswith("google.") and path.startswith("/amp/s/"):
        return "https://" + path[len("/amp/s/") :]
    if host == "news.google.com" and (article := GOOGLE_NEWS_ARTICLE.match(path)):
        return _google_news_target(article.group(1))
    names = REDIRECT_WRAPPERS.get(_bare_host(host)) or (REDIRECT_PARAMS if path.lower() in REDIRECT_PATHS else ())
    values = dict(query)
    return next((values[name] for name in names if _http(values.get(name, ""))), None)


def _google_news_target(article_id: str) -> str | None:
    """The article URL inside a Google News article id: a length-prefixed string field."""
    try:
        data = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (binascii.Error, ValueError):
        return None
    start = data.find(b"http")
    if start < 1 or not data.startswith((b"http://", b"https://"), start):
        return None
    # The length before the URL is a varint of one byte, or two (URLs of 128 bytes to 16 KB).
    length = data[start - 1]
    if start >= 2 and data[start - 2] & 0x80:
        length = (data[start - 2] & 0x7F) | (length << 7)
    target = data[start : start + length]
    try:
        return target.decode("utf-8") if len(target) == length else None
    except UnicodeDecodeError:
        return None


def _without_amp_path(path: str) -> str:
    if path.endswith("/amp") or path.endswith("/amp/"):
        return path.rstrip("/")[: -len("/amp")] or "/"
    if path.startswith("/amp/"):
        return path[len("/amp") :]
    return path.replace(".amp.html", ".html") if path.endswith(".amp.html") else path


def canonical_url(url: str | None, _depth: int = 0) -> str | None:
    """The canonical form of ``url`` for dedupe, or None when it is not an http(s) URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    target = _wrapped_target(parts.hostname.lower(), parts.path, query)
    if target and _depth < MAX_UNWRAP:
        return canonical_url(target, _depth + 1) or None
    host = _bare_host(parts.hostname.lower())
    if port and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    kept = sorted((k, v) for k, v in query if not _is_tracking(k))
    path = _without_amp_path(parts.path or "/") or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, urlencode(kept), ""))


def story_key(title: str, text: str) -> str:
    """A fingerprint shared by items that tell the same story (same headline words)."""
    words = _WORDS.findall((title or text).casefold())[:STORY_WORDS]
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
