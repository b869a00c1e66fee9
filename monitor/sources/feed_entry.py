"""One feed entry as read from the document, before normalisation: what both feed readers
(``rss_fast`` and feedparser's in ``rss``) produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Entry:
    """One feed entry as read from the document, before normalisation."""

    title: str = ""
    html: str = ""
    link: str | None = None
    guid: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)  # yt_videoid, source_title, source_href
