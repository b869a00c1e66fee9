"""Reddit: search as Atom (``/search.rss?q=…&sort=new``) and subreddit listings (``/r/SUB/new/.json``).

The dedupe key is the fullname ``name`` (``t3_…``), which is also the Atom entry id.
Reddit asks for a User-Agent of the form ``<platform>:<app id>:<version> (by /u/<name>)``
and blocks generic ones; ``request`` sets it (settings ``reddit_username`` names the
operator's account). Unauthenticated clients get about 10 requests a minute.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from monitor.sources import rss
from monitor.sources.base import Adapter, Item, Parsed, ParseError, Request, convert_each, one_line
from monitor.sources.text import html_to_text

APP_ID = "mention-monitor"
APP_VERSION = "0.1.0"
REDDIT_HOSTS = ("reddit.com", "www.reddit.com", "old.reddit.com")


def user_agent(settings=None) -> str:
    """The User-Agent Reddit's API rules ask for, naming the operator's Reddit account."""
    name = getattr(settings, "reddit_username", None) or "mention-monitor"
    return f"python:{APP_ID}:{APP_VERSION} (by /u/{name})"


class RedditAdapter(Adapter):
    """A Reddit search feed or a subreddit's newest posts."""

    kind = "reddit"

    @classmethod
    def handles(cls, url: str) -> bool:
        parts = urlsplit(url)
        return parts.hostname in REDDIT_HOSTS and (
            parts.path.startswith("/search")
            or (parts.path.startswith("/r/") and parts.path.endswith((".json", ".rss")))
        )

    def request(self, url: str, cursor: str | None = None, settings=None) -> Request:
        return Request(url, {"User-Agent": user_agent(settings)})

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        if body.lstrip().startswith(b"{"):
            return Parsed(_from_listing(body))
        feed = rss.read_feed(body, headers)
        return Parsed(convert_each(feed.entries, lambda e: rss.to_item(e, kind=self.kind, lang=feed.lang)))


def _from_listing(body: bytes) -> list[Item]:
    try:
        listing = json.loads(body)
        children = listing["data"]["children"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ParseError(f"not a Reddit listing: {one_line(exc, 120)}") from None
    if not isinstance(children, list):
        raise ParseError("not a Reddit listing: children is not a list")
    return convert_each(children, lambda child: _post(child.get("data") or {}) if isinstance(child, dict) else None)


def _post(post: dict) -> Item | None:
    from datetime import datetime, timezone

    name = post.get("name")
    if not name:
        return None
    created = post.get("created_utc")
    permalink = post.get("permalink")
    return Item(
        guid=name,
        url=f"https://www.reddit.com{permalink}" if permalink else post.get("url"),
        title=html_to_text(post.get("title") or ""),
        text=" ".join(str(post.get("selftext") or "").split()),
        author=post.get("author"),
        published_at=datetime.fromtimestamp(created, tz=timezone.utc) if isinstance(created, (int, float)) else None,
        platform_id=name,
        kind="reddit",
    )
