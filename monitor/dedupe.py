"""Deciding what is the same post and what is the same story. Pure functions.

* ``canonical_url``: the URL with tracking parameters, fragments, default ports and
  letter case of scheme/host removed, so a repost under ``?utm_source=…`` is the same post.
* ``story_key``: a fingerprint of the normalised headline (or opening text), so the
  same story reported by several outlets shares one cluster.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs", "oly_", "vero_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid", "igshid",
        "igsh", "twclid", "ttclid", "li_fat_id", "mkt_tok", "_ga", "_gl", "ref", "ref_src",
        "ref_url", "si", "spm", "cmpid", "at_medium", "at_campaign", "ocid",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
_WORDS = re.compile(r"\w+", re.UNICODE)
STORY_WORDS = 12


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
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
    host = parts.hostname.lower().removeprefix("www.")
    if port and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k))
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def story_key(title: str, text: str) -> str:
    """A fingerprint shared by items that tell the same story (same headline words)."""
    words = _WORDS.findall((title or text).casefold())[:STORY_WORDS]
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
