"""YouTube Data API v3 ``search.list`` (videos, newest first), with ``MONITOR_YOUTUBE_KEY``.

The key goes in the ``X-Goog-Api-Key`` header, not the URL. The query is the names as
quoted phrases joined by ``|`` (the API's OR); the cursor is the newest ``publishedAt``,
sent back as ``publishedAfter``. A project's default quota is 100 ``search.list`` calls a
day, so the budget is 100 / 1,440 a minute: a long list is covered slowly, and the
coverage page says so. HTTP 403 (``quotaExceeded``, or a refused key) pauses the provider.
"""

from __future__ import annotations

from urllib.parse import urlencode

from monitor.sources.base import Item, convert_each, iso_datetime
from monitor.sources.search.base import Page, SearchError, SearchRequest, Target, load_json, or_query

NAME = "youtube"
DEFAULT_URL = "https://www.googleapis.com/youtube/v3/search"
DOCUMENTED_PER_MINUTE = 100 / 1440  # 100 search.list calls a day
MAX_RESULTS = 50


def requests(target: Target, cursor: dict[str, str], *, base_url: str, settings=None, **_) -> list[SearchRequest]:
    """One ``search.list`` for the names, published after the stored newest video."""
    if not target.names:
        return []
    key = getattr(settings, "youtube_key", None)
    if key is None:
        raise SearchError("YouTube needs an API key: set MONITOR_YOUTUBE_KEY", auth=True, unsent=True)
    query = {
        "part": "snippet",
        "type": "video",
        "order": "date",
        "maxResults": str(MAX_RESULTS),
        "q": or_query(target.names, joiner="|"),
    }
    if cursor.get(""):
        query["publishedAfter"] = cursor[""]
    return [SearchRequest(f"{base_url}?{urlencode(query)}", {"X-Goog-Api-Key": key.get_secret_value()})]


def parse(body: bytes, request: SearchRequest) -> Page:
    """The videos as items; the cursor is the newest ``publishedAt``."""
    document = load_json(body, "YouTube")
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise SearchError("YouTube: the response has no item list")
    found = convert_each(items, _video)
    stamps = [i.published_at for i in found if i.published_at]
    newest = max(stamps).strftime("%Y-%m-%dT%H:%M:%SZ") if stamps else None
    return Page(found, newest)


def _video(result: object) -> Item | None:
    if not isinstance(result, dict) or not isinstance(result.get("id"), dict):
        return None
    video, snippet = result["id"].get("videoId"), result.get("snippet") or {}
    if not isinstance(video, str) or not video or not isinstance(snippet, dict):
        return None
    url = f"https://www.youtube.com/watch?v={video}"
    return Item(
        guid=url,
        url=url,
        title=" ".join(str(snippet.get("title") or "").split()),
        text=" ".join(str(snippet.get("description") or "").split()),
        author=snippet.get("channelTitle"),
        published_at=iso_datetime(snippet.get("publishedAt")),
        platform_id=f"yt:video:{video}",
        kind="youtube",
    )
