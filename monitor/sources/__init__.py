"""Source adapters: each turns a fetched body into ``Item``s.

``parse(kind, body, headers, url)`` picks the adapter from the configured kind or, for
``auto``, from the response. Adapters raise ``ParseError`` when the body is not what
they read; the poller records that as the source's error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class ParseError(Exception):
    """The body is not a feed this adapter can read; the message is one line."""


@dataclass
class Item:
    """One post as a source publishes it, before matching."""

    guid: str
    url: str | None
    title: str
    text: str
    author: str | None = None
    published_at: datetime | None = None


def parse(kind: str, body: bytes, headers: dict[str, str], url: str) -> list[Item]:
    """The items in ``body``; ``kind`` is the configured kind or ``auto``."""
    from monitor.sources import jsonfeed, rss

    content_type = headers.get("content-type", "").lower()
    if kind == "jsonfeed" or (kind == "auto" and jsonfeed.looks_like(body, content_type)):
        return jsonfeed.parse(body, url)
    return rss.parse(body, headers, url)
