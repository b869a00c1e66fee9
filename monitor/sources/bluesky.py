"""Bluesky: an account's posts (``getAuthorFeed``, or ``bsky.app/profile/DID/rss``) and post search.

The dedupe key is the post's at:// ``uri``. A repost in an author feed comes as the
original post with ``reason`` naming the reposter. ``searchPosts`` has answered 403 to
anonymous callers since 2025-01, so search runs only when an app password is configured
(settings ``bluesky_handle`` and ``bluesky_app_password``); without one the source fails
with ``CredentialsRequired``. The search cursor is the newest ``indexedAt`` seen, sent
back as ``since``. The login (``bluesky_login``) runs through the poller's guarded async
fetch, and its token goes only to the configured service (``MONITOR_BLUESKY_SERVICE``): a
search URL on another host is refused rather than sent the token.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.sources import rss
from monitor.sources.base import (
    Adapter,
    CredentialsRequired,
    Item,
    Parsed,
    ParseError,
    Request,
    convert_each,
    iso_datetime,
    one_line,
    origin_of,
)
from monitor.sources.bluesky_login import BlueskyLogin

PUBLIC_API = "https://public.api.bsky.app"
AUTH_SERVICE = "https://bsky.social"
PROFILE_RSS = re.compile(r"^/profile/[^/]+/rss$")
SEARCH_LIMIT = 100


class BlueskyAdapter(Adapter):
    """A Bluesky account feed (JSON or RSS) or, with credentials, a post search."""

    kind = "bluesky"

    @classmethod
    def handles(cls, url: str) -> bool:
        parts = urlsplit(url)
        if parts.hostname == "bsky.app" and PROFILE_RSS.match(parts.path):
            return True
        return parts.path.endswith(("/xrpc/app.bsky.feed.getAuthorFeed", "/xrpc/app.bsky.feed.searchPosts"))

    def request(self, url: str, cursor: str | None = None, settings=None) -> Request:
        """Author feeds as they are; a search needs credentials, the service's origin, and sends ``since=<cursor>``."""
        if not is_search(url):
            return Request(url)
        handle, password = _credentials(settings)
        service = getattr(settings, "bluesky_service", None) or AUTH_SERVICE
        _check_origin(url, service)
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.setdefault("sort", "latest")
        query.setdefault("limit", str(SEARCH_LIMIT))
        if cursor:
            query["since"] = cursor
        return Request(urlunsplit(parts._replace(query=urlencode(query))), auth=BlueskyLogin(handle, password, service))

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        if not body.lstrip().startswith(b"{"):
            feed = rss.read_feed(body, headers)
            return Parsed(convert_each(feed.entries, lambda e: rss.to_item(e, kind=self.kind, lang=feed.lang)))
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ParseError(f"not a Bluesky response: {one_line(exc, 120)}") from None
        if isinstance(document.get("posts"), list):
            posts = [p for p in document["posts"] if isinstance(p, dict)]
            return Parsed(convert_each(posts, post_item), cursor=_newest_indexed(posts))
        if isinstance(document.get("feed"), list):
            return Parsed(convert_each(document["feed"], lambda v: feed_view_item(v) if isinstance(v, dict) else None))
        raise ParseError("not a Bluesky response: neither feed nor posts")


def is_search(url: str) -> bool:
    return urlsplit(url).path.endswith("/xrpc/app.bsky.feed.searchPosts")


def author_feed_url(actor: str) -> str:
    """The public ``getAuthorFeed`` URL of an account (handle or DID), top-level posts only."""
    query = urlencode({"actor": actor.lstrip("@"), "filter": "posts_no_replies", "limit": "50"})
    return f"{PUBLIC_API}/xrpc/app.bsky.feed.getAuthorFeed?{query}"


def feed_view_item(view: dict) -> Item | None:
    """A FeedViewPost as an item; a repost keeps the original's uri and names the reposter."""
    item = post_item(view.get("post") or {})
    reason = view.get("reason") if isinstance(view.get("reason"), dict) else {}
    if item and str(reason.get("$type", "")).endswith("reasonRepost"):
        item.reposted_by = (reason.get("by") or {}).get("handle")
    return item


def post_item(post: dict) -> Item | None:
    """A PostView as an item, keyed by its at:// uri."""
    uri, record = post.get("uri"), post.get("record") or {}
    if not uri or not isinstance(record, dict):
        return None
    handle = (post.get("author") or {}).get("handle")
    langs = record.get("langs") if isinstance(record.get("langs"), list) else []
    return Item(
        guid=uri,
        url=_web_url(uri, handle),
        title="",
        text=" ".join(str(record.get("text") or "").split()),
        author=handle,
        published_at=iso_datetime(record.get("createdAt") or post.get("indexedAt")),
        platform_id=uri,
        kind="bluesky",
        lang=langs[0] if langs else None,
    )


def _check_origin(url: str, service: str) -> None:
    """Refuse a search URL outside the configured service: the login's token would go there."""
    if origin_of(url) != origin_of(service):
        raise CredentialsRequired(
            f"Bluesky post search is sent only to the configured service {service} (MONITOR_BLUESKY_SERVICE), "
            f"which holds the login; this source's host is {urlsplit(url).hostname}"
        )


def _credentials(settings) -> tuple[str, str]:
    handle = getattr(settings, "bluesky_handle", None)
    password = getattr(settings, "bluesky_app_password", None)
    if not (handle and password):
        raise CredentialsRequired(
            "Bluesky post search needs an account since 2025-01: set MONITOR_BLUESKY_HANDLE and "
            "MONITOR_BLUESKY_APP_PASSWORD (an app password), or follow accounts via getAuthorFeed instead"
        )
    return handle, str(getattr(password, "get_secret_value", lambda: password)())


def _newest_indexed(posts: list[dict]) -> str | None:
    stamps = [p.get("indexedAt") for p in posts if isinstance(p.get("indexedAt"), str)]
    return max(stamps, default=None)


def _web_url(uri: str, handle: str | None) -> str:
    found = re.match(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/]+)$", uri)
    if not found:
        return uri
    return f"https://bsky.app/profile/{handle or found.group(1)}/post/{found.group(2)}"
