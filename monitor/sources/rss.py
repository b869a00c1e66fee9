"""RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom through feedparser.

The HTTP ``Content-Type`` charset is passed to feedparser, which trusts it before the
XML prolog: cp1251 and koi8-r feeds declare themselves wrongly often enough.
"""

from __future__ import annotations

import hashlib
from calendar import timegm
from datetime import datetime, timezone

import feedparser

from monitor.sources import Item, ParseError
from monitor.sources.text import html_to_text


def parse(body: bytes, headers: dict[str, str], url: str) -> list[Item]:
    """Items of an RSS/Atom/RDF document, or ``ParseError`` if it is not a feed."""
    parsed = feedparser.parse(body, response_headers={k.lower(): v for k, v in headers.items()}, sanitize_html=True)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = getattr(parsed, "bozo_exception", None) or "no feed elements"
        raise ParseError(f"not an RSS/Atom feed: {_one_line(reason)}")
    return [item for entry in parsed.entries if (item := _item(entry))]


def _item(entry) -> Item | None:
    title = html_to_text(entry.get("title", ""))
    content = entry.get("content") or []
    html = content[0].get("value", "") if content else entry.get("summary", "")
    text = html_to_text(html)
    link = entry.get("link") or None
    guid = entry.get("id") or link or _hash(title + "\n" + text)
    if not (title or text):
        return None
    return Item(guid=guid, url=link, title=title, text=text, author=entry.get("author"), published_at=_when(entry))


def _when(entry) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    return datetime.fromtimestamp(timegm(stamp), tz=timezone.utc)


def _hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _one_line(reason: object) -> str:
    return " ".join(str(reason).split())[:200]
