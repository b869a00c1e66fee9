"""Bluesky post search (``app.bsky.feed.searchPosts``), with the account settings that exist.

``searchPosts`` has refused anonymous callers since 2025-01, so it runs only with
``MONITOR_BLUESKY_HANDLE`` and ``MONITOR_BLUESKY_APP_PASSWORD``; the login goes to the
search's own service (``url``, else ``MONITOR_BLUESKY_SERVICE``) and nowhere else. The
search syntax has no OR: one request per name, each a quoted phrase. Each name's cursor is
the newest ``indexedAt`` seen, sent back as ``since``. The AppView allows 3,000 requests
per 5 minutes per address.
"""

from __future__ import annotations

from urllib.parse import urlencode

from monitor.sources.base import CredentialsRequired, convert_each
from monitor.sources.bluesky import _credentials, _newest_indexed, post_item
from monitor.sources.bluesky_login import BlueskyLogin
from monitor.sources.search.base import Page, SearchError, SearchRequest, Target, load_json, quoted

NAME = "bluesky"
DEFAULT_URL = None  # the account's service: MONITOR_BLUESKY_SERVICE
DOCUMENTED_PER_MINUTE = 600.0
MAX_NAMES = 4
PATH = "/xrpc/app.bsky.feed.searchPosts"


def base_url(settings) -> str:
    return str(getattr(settings, "bluesky_service", None) or "https://bsky.social").rstrip("/")


def requests(target: Target, cursor: dict[str, str], *, base_url: str, settings=None, **_) -> list[SearchRequest]:
    """One ``sort=latest`` search per name (at most ``MAX_NAMES``), each since its own newest post."""
    if not target.names:
        return []
    try:
        handle, password = _credentials(settings)
    except CredentialsRequired as exc:
        raise SearchError(str(exc), auth=True, unsent=True) from None
    login = BlueskyLogin(handle, password, base_url)
    found = []
    for name in target.names[:MAX_NAMES]:
        query = {"q": quoted(name), "sort": "latest", "limit": "100"}
        if cursor.get(name):
            query["since"] = cursor[name]
        found.append(SearchRequest(f"{base_url}{PATH}?{urlencode(query)}", key=name, auth=login))
    return found


def parse(body: bytes, request: SearchRequest) -> Page:
    """The posts as items; this name's cursor is the newest ``indexedAt``."""
    document = load_json(body, "Bluesky")
    posts = document.get("posts") if isinstance(document, dict) else None
    if not isinstance(posts, list):
        raise SearchError("Bluesky: the response has no post list")
    posts = [p for p in posts if isinstance(p, dict)]
    return Page(convert_each(posts, post_item), _newest_indexed(posts))
