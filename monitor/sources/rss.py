"""RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom: a fast lxml path, feedparser for everything else.

Both paths produce the same ``Entry`` records, and ``to_item`` normalises an entry into an
``Item`` the same way whichever path read it, so the fast path can only win or decline:
``rss_fast.parse_entries`` raises ``Unsupported`` for anything it is not sure to read as
feedparser does, and the feed is then read by feedparser.

The HTTP ``Content-Type`` charset is trusted before the XML prolog on both paths:
cp1251 and koi8-r feeds declare themselves wrongly often enough.
"""

from __future__ import annotations

from calendar import timegm
from dataclasses import dataclass
from datetime import datetime, timezone

import feedparser

from monitor.sources.base import Adapter, Item, Parsed, ParseError, content_hash, convert_each, one_line
from monitor.sources.feed_entry import Entry
from monitor.sources.hints import min_interval_seconds
from monitor.sources.text import html_to_text


@dataclass
class Feed:
    entries: list[Entry]
    lang: str | None = None
    fast: bool = False  # which path read it (benchmarks and tests look)


def read_feed(body: bytes, headers: dict[str, str], *, fast: bool = True) -> Feed:
    """The entries of an RSS/Atom/RDF document, or ``ParseError`` if it is not a feed."""
    if fast:
        from monitor.sources import rss_fast

        try:
            entries, lang = rss_fast.parse_entries(body, headers)
            return Feed(entries, lang, fast=True)
        except Exception:  # noqa: BLE001 - Unsupported, or any surprise: the fast path declines, feedparser reads
            pass
    return _read_with_feedparser(body, headers)


def to_item(entry: Entry, *, kind: str = "rss", lang: str | None = None) -> Item | None:
    """The normalised ``Item`` of an entry; ``None`` for an entry with neither title nor text."""
    title = html_to_text(entry.title)
    text = html_to_text(entry.html)
    if not (title or text):
        return None
    return Item(
        guid=entry.guid or entry.link or content_hash(title + "\n" + text),
        url=entry.link or None,
        title=title,
        text=text,
        author=entry.author or None,
        published_at=entry.published_at,
        platform_id=entry.guid or None,
        kind=kind,
        lang=lang,
    )


def parse(body: bytes, headers: dict[str, str], url: str, *, fast: bool = True) -> list[Item]:
    """Items of an RSS/Atom/RDF document (the pre-adapter entry point, kept for callers)."""
    feed = read_feed(body, headers, fast=fast)
    return convert_each(feed.entries, lambda entry: to_item(entry, lang=feed.lang))


class RssAdapter(Adapter):
    """Any RSS 2.0, RSS 1.0 (RDF) or Atom feed."""

    kind = "rss"

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        feed = read_feed(body, headers)
        items = convert_each(feed.entries, lambda entry: to_item(entry, kind=self.kind, lang=feed.lang))
        return Parsed(items, min_interval=min_interval_seconds(body))


def _read_with_feedparser(body: bytes, headers: dict[str, str]) -> Feed:
    parsed = feedparser.parse(body, response_headers={k.lower(): v for k, v in headers.items()}, sanitize_html=True)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = getattr(parsed, "bozo_exception", None) or "no feed elements"
        raise ParseError(f"not an RSS/Atom feed: {one_line(reason, 200)}")
    return Feed(convert_each(parsed.entries, _entry), parsed.feed.get("language") or None)


def _entry(raw) -> Entry:
    content = raw.get("content") or []
    source = raw.get("source") or {}
    extra = {
        "yt_videoid": raw.get("yt_videoid"),
        "source_title": source.get("title"),
        "source_href": source.get("href"),
    }
    return Entry(
        title=raw.get("title", ""),
        html=content[0].get("value", "") if content else raw.get("summary", ""),
        link=raw.get("link") or None,
        guid=raw.get("id") or None,
        author=raw.get("author"),
        published_at=_when(raw),
        extra={k: v for k, v in extra.items() if v},
    )


def _when(raw) -> datetime | None:
    stamp = raw.get("published_parsed") or raw.get("updated_parsed")
    if not stamp:
        return None
    try:
        return datetime.fromtimestamp(timegm(stamp), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):  # year 9999 behind UTC: no usable date, the entry stays
        return None
