"""Source URLs from the short forms a config may use instead of ``url``: ``handle`` and ``query``.

kind = "mastodon", handle = "@user@example.social"   → https://example.social/@user.rss
kind = "mastodon", handle = "#tag@example.social"    → https://example.social/tags/tag.rss
kind = "bluesky",  handle = "name.bsky.social"       → public getAuthorFeed (posts, no replies)
kind = "bluesky",  query = "Vorontsov"               → searchPosts (needs credentials)
kind = "reddit",   handle = "r/SUB"                  → https://www.reddit.com/r/SUB/new/.json
kind = "reddit",   query = "Vorontsov"               → https://www.reddit.com/search.rss?q=…&sort=new
kind = "youtube",  handle = "UC…"                    → the channel's videos.xml
kind = "telegram", handle = "channel"                → https://t.me/s/channel
kind = "googlenews", query = "Vorontsov"             → opt-in Google News search (reveals the query)
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from monitor.sources.bluesky import author_feed_url
from monitor.sources.googlenews import google_news_url


def source_url(kind: str, *, handle: str | None = None, query: str | None = None, lang: str | None = None) -> str:
    """The URL a ``handle``/``query`` source stands for; ``ValueError`` (one line) if none fits."""
    handle, query = (handle or "").strip(), (query or "").strip()
    builder = _BUILDERS.get((kind, "handle" if handle else "query" if query else ""))
    if builder is None:
        raise ValueError(
            f"kind {kind!r} cannot be given by {'handle' if handle else 'query' if query else 'nothing'}; set url"
        )
    return builder(handle or query, lang or "en")


def _mastodon(handle: str, _lang: str) -> str:
    name, sep, host = handle.lstrip("@").partition("@") if not handle.startswith("#") else handle.partition("@")
    if not (sep and name and host):
        raise ValueError(f"Mastodon handle {handle!r}: expected @user@server or #tag@server")
    if name.startswith("#"):
        return f"https://{host}/tags/{quote(name[1:])}.rss"
    return f"https://{host}/@{quote(name)}.rss"


def _reddit_listing(handle: str, _lang: str) -> str:
    sub = handle.removeprefix("/").removeprefix("r/")
    return f"https://www.reddit.com/r/{quote(sub)}/new/.json"


_BUILDERS = {
    ("mastodon", "handle"): _mastodon,
    ("bluesky", "handle"): lambda h, _l: author_feed_url(h),
    ("bluesky", "query"): lambda q, _l: "https://bsky.social/xrpc/app.bsky.feed.searchPosts?" + urlencode({"q": q}),
    ("reddit", "handle"): _reddit_listing,
    ("reddit", "query"): lambda q, _l: "https://www.reddit.com/search.rss?" + urlencode({"q": q, "sort": "new"}),
    ("youtube", "handle"): lambda h, _l: f"https://www.youtube.com/feeds/videos.xml?channel_id={quote(h)}",
    ("telegram", "handle"): lambda h, _l: f"https://t.me/s/{quote(h.lstrip('@'))}",
    ("googlenews", "query"): lambda q, lang: google_news_url([q], lang),
}
