"""Mastodon: hashtag and account RSS (``/tags/NAME.rss``, ``/@user.rss``) and the tag timeline API.

The API (``/api/v1/timelines/tag/NAME``) is read with ``min_id`` = the newest status id
seen, which is the stored cursor. Status ``id``s are per server; the dedupe key is the
global ``uri``. A boost (``reblog``) wraps the original: the item is the original, with
``reposted_by`` naming the booster. Since 4.5 a server may close the timeline to anonymous
readers (HTTP 401, or an empty list): ``explain`` then points at the public RSS URL.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.sources import rss
from monitor.sources.base import (
    Adapter,
    Item,
    Parsed,
    ParseError,
    Request,
    convert_each,
    http_status,
    iso_datetime,
    one_line,
)
from monitor.sources.text import html_to_text

PAGE_LIMIT = 40
RSS_PATH = re.compile(r"^/(tags/[^/]+|@[^/]+(/tagged/[^/]+)?)\.rss$")
API_PATH = re.compile(r"^/api/v1/timelines/tag/([^/?]+)$")


class MastodonAdapter(Adapter):
    """A Mastodon hashtag or account, by RSS or by the public tag timeline API."""

    kind = "mastodon"

    @classmethod
    def handles(cls, url: str) -> bool:
        path = urlsplit(url).path
        return bool(RSS_PATH.match(path) or API_PATH.match(path))

    def request(self, url: str, cursor: str | None = None, settings=None) -> Request:
        """For the API: ``limit=40`` and ``min_id=<cursor>`` so that only newer statuses come back."""
        parts = urlsplit(url)
        if not API_PATH.match(parts.path):
            return Request(url)
        query = dict(parse_qsl(parts.query))
        query["limit"] = str(PAGE_LIMIT)
        if cursor:
            query["min_id"] = cursor
        return Request(urlunsplit(parts._replace(query=urlencode(query))))

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        if not body.lstrip().startswith(b"["):
            return Parsed(_from_rss(body, headers))
        try:
            statuses = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ParseError(f"not a Mastodon timeline: {one_line(exc, 120)}") from None
        items = convert_each(statuses, lambda status: status_item(status) if isinstance(status, dict) else None)
        return Parsed(items, cursor=newest_id(statuses))

    def explain(self, error: Exception) -> str:
        if http_status(error) in (401, 403):
            return f"{rss_hint(getattr(error, 'url', None) or _url_in(error))} ({one_line(error, 120)})"
        return one_line(error)


def status_item(status: dict) -> Item | None:
    """The item of one Status; a boost becomes its original, ``reposted_by`` the booster."""
    booster = None
    if isinstance(status.get("reblog"), dict):
        booster = _account(status)
        status = status["reblog"]
    if not status.get("uri"):
        return None
    text = html_to_text(status.get("content"))
    spoiler = html_to_text(status.get("spoiler_text"))
    return Item(
        guid=status["uri"],
        url=status.get("url") or status["uri"],
        title=spoiler,
        text=text,
        author=_account(status),
        published_at=iso_datetime(status.get("created_at")),
        platform_id=status["uri"],
        kind="mastodon",
        lang=status.get("language"),
        reposted_by=booster,
    )


def newest_id(statuses: list) -> str | None:
    """The largest status id in the page (ids are decimal snowflakes), ``None`` for an empty page."""
    ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and str(s.get("id", "")).isdigit()]
    return max(ids, key=lambda i: (len(i), i), default=None)


def rss_hint(url: str | None) -> str:
    """One line telling the user the API needs a login and which RSS URL to use instead."""
    parts = urlsplit(url or "")
    found = API_PATH.match(parts.path)
    if not found:
        return "this Mastodon server requires a login for its API; use its public RSS feed"
    rss_url = f"{parts.scheme}://{parts.netloc}/tags/{found.group(1)}.rss"
    return f"{parts.netloc} requires a login for its tag timeline API; use the RSS feed {rss_url} instead"


def _from_rss(body: bytes, headers: dict[str, str]) -> list[Item]:
    feed = rss.read_feed(body, headers)
    return convert_each(feed.entries, lambda entry: rss.to_item(entry, kind="mastodon", lang=feed.lang))


def _account(status: dict) -> str | None:
    account = status.get("account") if isinstance(status.get("account"), dict) else {}
    return account.get("acct") or account.get("username") or None


def _url_in(error: Exception) -> str | None:
    found = re.search(r"https?://\S+", str(error))
    return found.group(0) if found else None
