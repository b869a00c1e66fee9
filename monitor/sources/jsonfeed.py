"""JSON Feed 1.0 and 1.1. Items without ``id`` are dropped, as the spec requires an id."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from monitor.sources import Item, ParseError
from monitor.sources.text import html_to_text


def looks_like(body: bytes, content_type: str) -> bool:
    """True for ``application/feed+json`` or a JSON body naming a jsonfeed.org version."""
    if "feed+json" in content_type:
        return True
    head = body[:512].lstrip()
    return head.startswith(b"{") and b"jsonfeed.org/version" in body[:4096]


def parse(body: bytes, url: str) -> list[Item]:
    """Items of a JSON Feed document, or ``ParseError``."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"not a JSON Feed: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ParseError("not a JSON Feed: no items list")
    return [item for raw in document["items"] if isinstance(raw, dict) and (item := _item(raw))]


def _item(raw: dict) -> Item | None:
    if raw.get("id") in (None, ""):
        return None
    text = raw.get("content_text") or html_to_text(raw.get("content_html")) or raw.get("summary") or ""
    authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
    author = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
    return Item(
        guid=str(raw["id"]),
        url=raw.get("url") or raw.get("external_url"),
        title=html_to_text(str(raw.get("title") or "")),
        text=" ".join(str(text).split()),
        author=author,
        published_at=_when(raw.get("date_published") or raw.get("date_modified")),
    )


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
