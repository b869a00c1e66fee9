"""Mastodon hashtag timelines (``/api/v1/timelines/tag/:hashtag``) on the instances an admin lists.

Only the person's hashtags are searched (a name is not a hashtag; the instances learn only
the tags). One request per instance and hashtag, each with its own cursor: the newest
status id, sent back as ``since_id``. Mastodon allows 300 requests per 5 minutes per address.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from monitor.sources.base import convert_each
from monitor.sources.mastodon import newest_id, status_item
from monitor.sources.search.base import Page, SearchError, SearchRequest, Target, load_json

NAME = "mastodon"
DEFAULT_URL = None  # the instances: [search.mastodon] instances
DOCUMENTED_PER_MINUTE = 60.0  # per instance
LIMIT = 40


def tags(target: Target) -> list[str]:
    """The person's hashtags without ``#``, each once, case-insensitively."""
    seen: dict[str, str] = {}
    for tag in target.hashtags:
        clean = tag.strip().lstrip("#")
        if clean:
            seen.setdefault(clean.casefold(), clean)
    return list(seen.values())


def requests(target: Target, cursor: dict[str, str], *, instances: list[str], **_) -> list[SearchRequest]:
    """One tag-timeline request per instance and hashtag, since its stored newest id."""
    found = []
    for instance in instances:
        for tag in tags(target):
            key = f"{instance} #{tag}"
            query = {"limit": str(LIMIT)}
            if cursor.get(key):
                query["since_id"] = cursor[key]
            found.append(
                SearchRequest(f"{instance}/api/v1/timelines/tag/{quote(tag, safe='')}?{urlencode(query)}", key=key)
            )
    return found


def parse(body: bytes, request: SearchRequest) -> Page:
    """The statuses as items (a boost as its original); the cursor is the page's newest id."""
    statuses = load_json(body, "Mastodon")
    if not isinstance(statuses, list):
        raise SearchError("Mastodon: the response is not a list of statuses")
    statuses = [s for s in statuses if isinstance(s, dict)]
    return Page(convert_each(statuses, status_item), newest_id(statuses))
