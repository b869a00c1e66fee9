"""JSON Feed 1.0 (``author``) and 1.1 (``authors[]``). Items without ``id`` are dropped: the spec requires one."""

from __future__ import annotations

import json

from monitor.sources.base import Adapter, Item, Parsed, ParseError, convert_each, iso_datetime
from monitor.sources.text import html_to_text


def looks_like(body: bytes, content_type: str) -> bool:
    """True for ``application/feed+json`` or a JSON body naming a jsonfeed.org version."""
    if "feed+json" in content_type:
        return True
    head = body[:512].lstrip()
    return head.startswith(b"{") and b"jsonfeed.org/version" in body[:4096]


def parse(body: bytes, url: str, *, kind: str = "jsonfeed") -> list[Item]:
    """Items of a JSON Feed document, or ``ParseError``."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"not a JSON Feed: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ParseError("not a JSON Feed: no items list")
    feed_lang = document.get("language") if isinstance(document.get("language"), str) else None
    feed_author = _author(document)
    return convert_each(
        document["items"], lambda raw: _item(raw, kind, feed_lang, feed_author) if isinstance(raw, dict) else None
    )


class JsonFeedAdapter(Adapter):
    """A JSON Feed (``application/feed+json``)."""

    kind = "jsonfeed"

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        return Parsed(parse(body, url, kind=self.kind))


def _item(raw: dict, kind: str, feed_lang: str | None, feed_author: str | None) -> Item | None:
    if raw.get("id") in (None, ""):
        return None
    text = raw.get("content_text") or html_to_text(raw.get("content_html")) or raw.get("summary") or ""
    lang = raw.get("language") if isinstance(raw.get("language"), str) else feed_lang
    return Item(
        guid=str(raw["id"]),
        url=raw.get("url") or raw.get("external_url"),
        title=html_to_text(str(raw.get("title") or "")),
        text=" ".join(str(text).split()),
        author=_author(raw) or feed_author,
        published_at=iso_datetime(raw.get("date_published") or raw.get("date_modified")),
        platform_id=str(raw["id"]),
        kind=kind,
        lang=lang,
    )


def _author(raw: dict) -> str | None:
    """1.1 ``authors[]`` first, then 1.0 ``author``."""
    authors = raw.get("authors") if isinstance(raw.get("authors"), list) else []
    if not authors and isinstance(raw.get("author"), dict):
        authors = [raw["author"]]
    return next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
