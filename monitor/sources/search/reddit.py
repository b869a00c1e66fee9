"""Reddit search (``/search.json``, a Listing of ``t3`` posts, ``sort=new``).

The query is the person's names as quoted phrases OR-ed. The cursor is the newest post's
fullname and time (``t3_abc@1764590400``); the next search asks only for posts newer than it
(``before``, the listing's anchor towards newer posts; ``after`` pages towards older ones).
An anchor that was deleted makes Reddit answer nothing, so one older than ``ANCHOR_DAYS`` is
dropped: that search reads the newest page again, whose known posts are stored once anyway.
Unauthenticated clients get about 10 requests a minute, and need a descriptive User-Agent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from monitor.sources.base import convert_each
from monitor.sources.reddit import _post, user_agent
from monitor.sources.search.base import Page, SearchError, SearchRequest, Target, load_json, or_query

NAME = "reddit"
DEFAULT_URL = "https://www.reddit.com/search.json"
DOCUMENTED_PER_MINUTE = 10.0
LIMIT = 100
ANCHOR_DAYS = 2


def requests(
    target: Target, cursor: dict[str, str], *, base_url: str, now: datetime, settings=None, **_
) -> list[SearchRequest]:
    """One listing request, newest first, after the stored newest fullname unless that anchor is old."""
    if not target.names:
        return []
    query = {"q": or_query(target.names), "sort": "new", "limit": str(LIMIT), "type": "link", "raw_json": "1"}
    anchor, _, at = cursor.get("", "").partition("@")
    if anchor and at.isdigit() and now.timestamp() - int(at) < ANCHOR_DAYS * timedelta(days=1).total_seconds():
        query["before"] = anchor
    return [SearchRequest(f"{base_url}?{urlencode(query)}", {"User-Agent": user_agent(settings)})]


def parse(body: bytes, request: SearchRequest) -> Page:
    """The posts as items; the cursor is the newest fullname (the first of a ``sort=new`` page)."""
    listing = load_json(body, "Reddit")
    try:
        children = listing["data"]["children"]
    except (KeyError, TypeError):
        raise SearchError("Reddit: the response is not a listing") from None
    if not isinstance(children, list):
        raise SearchError("Reddit: the listing's children are not a list")
    items = convert_each(children, lambda c: _post(c.get("data") or {}) if isinstance(c, dict) else None)
    if not items:
        return Page(items)
    at = int(items[0].published_at.timestamp()) if items[0].published_at else 0
    return Page(items, f"{items[0].guid[:64]}@{at}")
