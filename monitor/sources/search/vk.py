"""VK: ``newsfeed.search`` for a person's names, ``wall.get`` for the communities an admin lists.

API version pinned (``VERSION``); a service token from ``MONITOR_VK_TOKEN`` (never the
config). VK answers errors with status 200 and ``{"error": {"error_code": N}}``: codes 6
(too many requests per second), 9 (flood control) and 29 (rate limit reached) throttle the
whole provider; 5 (authorization failed) and 15/17 refuse our token. One search per name
(a quoted phrase), each since its newest post's time; a wall's cursor is its newest post id,
and its posts are matched against every person, so no name is sent for it. A post's
identity is its ``https://vk.com/wall{owner}_{id}`` URL. VK allows 3 requests a second.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from monitor.sources.base import Item, convert_each
from monitor.sources.search.base import Page, SearchError, SearchRequest, Target, load_json, quoted

NAME = "vk"
DEFAULT_URL = "https://api.vk.com/method"
DOCUMENTED_PER_MINUTE = 180.0  # 3 requests per second
VERSION = "5.199"
MAX_NAMES = 4
THROTTLED = {6, 9, 29}
AUTH = {5, 15, 17, 27, 28}


def requests(target: Target, cursor: dict[str, str], *, base_url: str, settings=None, **_) -> list[SearchRequest]:
    """``wall.get`` for a community target, else one ``newsfeed.search`` per name."""
    token = getattr(settings, "vk_token", None)
    if token is None:
        raise SearchError("VK needs a service token: set MONITOR_VK_TOKEN", auth=True, unsent=True)
    common = {"v": VERSION, "access_token": token.get_secret_value()}
    if target.community:
        query = {**common, "owner_id": target.community, "count": "100", "filter": "owner"}
        return [SearchRequest(f"{base_url}/wall.get?{urlencode(query)}", key="", advance=cursor.get(""))]
    found = []
    for name in target.names[:MAX_NAMES]:
        query = {**common, "q": quoted(name), "count": "200"}
        if cursor.get(name, "").isdigit():
            query["start_time"] = str(int(cursor[name]) + 1)
        found.append(SearchRequest(f"{base_url}/newsfeed.search?{urlencode(query)}", key=name))
    return found


def parse(body: bytes, request: SearchRequest) -> Page:
    """The posts as items; the cursor is the newest post's time (search) or id (wall, only newer kept)."""
    items = _response(load_json(body, "VK")).get("items")
    if not isinstance(items, list):
        raise SearchError("VK: the response has no item list")
    posts = [
        p for p in items if isinstance(p, dict) and isinstance(p.get("id"), int) and isinstance(p.get("owner_id"), int)
    ]
    if "/wall.get?" in request.url:
        last = int(request.advance) if (request.advance or "").isdigit() else 0
        posts = [p for p in posts if p["id"] > last]
        newest = max((p["id"] for p in posts), default=None)
    else:
        newest = max((p["date"] for p in posts if isinstance(p.get("date"), int)), default=None)
    return Page(convert_each(posts, post_item), None if newest is None else str(newest))


def _response(document: object) -> dict:
    """The ``response`` object, or ``SearchError`` classified by VK's error code."""
    if not isinstance(document, dict):
        raise SearchError("VK: the response is not an object")
    error = document.get("error")
    if isinstance(error, dict):
        code = error.get("error_code")
        raise SearchError(f"VK API error {code}", throttled=code in THROTTLED, auth=code in AUTH)
    response = document.get("response")
    if not isinstance(response, dict):
        raise SearchError("VK: the response has no response object")
    return response


def post_item(post: dict) -> Item:
    """A wall post as an item, identified by its ``vk.com/wall{owner}_{id}`` URL."""
    url = f"https://vk.com/wall{post['owner_id']}_{post['id']}"
    date = post.get("date")
    return Item(
        guid=url,
        url=url,
        title="",
        text=" ".join(str(post.get("text") or "").split()),
        author=str(post.get("from_id") or post["owner_id"]),
        published_at=datetime.fromtimestamp(date, tz=timezone.utc)
        if isinstance(date, int) and 0 <= date < 2**33
        else None,
        platform_id=url,
        kind="vk",
    )
