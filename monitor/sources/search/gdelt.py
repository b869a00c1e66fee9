"""GDELT DOC 2.0 (``mode=artlist``, JSON): world news in many languages, no key.

The query is the person's names as phrases, OR-ed in parentheses; the window starts at the
last search (``startdatetime``, ``YYYYMMDDHHMMSS`` UTC), or a day back the first time.
GDELT asks for about one request per 5 s and a User-Agent (the guarded client sends ours).
A result is a title and a URL: the runner fetches the article and matches its text.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from monitor.sources.base import Item, convert_each
from monitor.sources.search.base import Page, SearchError, SearchRequest, Target, load_json, or_query

NAME = "gdelt"
DEFAULT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
DOCUMENTED_PER_MINUTE = 12.0  # "one request every 5 seconds"
MAX_RECORDS = 250
FIRST_WINDOW = timedelta(days=1)
LONGEST_WINDOW = timedelta(days=80)  # GDELT searches a rolling three months; an older start is refused
STAMP = "%Y%m%d%H%M%S"


def requests(target: Target, cursor: dict[str, str], *, base_url: str, now: datetime, **_) -> list[SearchRequest]:
    """One artlist request for the person's names since the last window's end (a GDELT time stamp)."""
    if not target.names:
        return []
    start = max(_stamp(cursor.get("")) or now - FIRST_WINDOW, now - LONGEST_WINDOW)
    query = {
        "query": or_query(target.names, group=True),
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(MAX_RECORDS),
        "sort": "datedesc",
        "startdatetime": start.strftime(STAMP),
        "enddatetime": now.strftime(STAMP),
    }
    return [SearchRequest(f"{base_url}?{urlencode(query)}", advance=now.strftime(STAMP))]


def parse(body: bytes, request: SearchRequest) -> Page:
    """The articles as title-only items; the cursor moves to the window's end (``advance``).

    GDELT answers a bad query with a plain-text line and status 200, and no match with ``{}``.
    """
    if not body.strip() or body.strip() == b"{}":
        return Page([], titles_only=True)
    document = load_json(body, "GDELT")
    articles = document.get("articles", []) if isinstance(document, dict) else None
    if not isinstance(articles, list):
        raise SearchError("GDELT: the response has no article list")
    return Page(convert_each(articles, _article), titles_only=True)


def _article(article: object) -> Item | None:
    if not isinstance(article, dict) or not isinstance(article.get("url"), str):
        return None
    url = article["url"].strip()
    if not url.startswith(("http://", "https://")):
        return None
    return Item(
        guid=url,
        url=url,
        title=" ".join(str(article.get("title") or "").split()),
        text="",
        published_at=_seen(article.get("seendate")),
        kind="gdelt",
        lang=_language(article.get("language")),
    )


def _seen(value: object) -> datetime | None:
    """``20240101T120000Z`` as aware UTC, None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


_LANGUAGES = {
    "english": "en",
    "russian": "ru",
    "ukrainian": "uk",
    "belarusian": "be",
    "german": "de",
    "french": "fr",
    "polish": "pl",
    "spanish": "es",
    "italian": "it",
    "czech": "cs",
    "lithuanian": "lt",
    "latvian": "lv",
}


def _language(value: object) -> str | None:
    return _LANGUAGES.get(value.strip().lower()) if isinstance(value, str) else None


def _stamp(cursor: str | None) -> datetime | None:
    try:
        return datetime.strptime(cursor, STAMP).replace(tzinfo=timezone.utc) if cursor else None
    except ValueError:
        return None
