"""Source adapters: each turns a fetched body into ``Item``s.

One adapter class per kind (``rss``, ``jsonfeed``, ``mastodon``, ``bluesky``, ``reddit``,
``youtube``, ``googlenews``, ``telegram``) with the same small interface::

    adapter = resolve_adapter(kind, url)        # the configured kind, or detected for "auto"
    request = adapter.request(url, cursor, settings)   # Request(url, headers)
    # GET request.url with request.headers (conditionally if adapter.conditional)
    parsed = adapter.parse(body, headers, final_url)   # Parsed(items, cursor) or ParseError
    # store parsed.cursor unless it is None; on a failed fetch record adapter.explain(exc)

``parse(kind, body, headers, url)`` is the older entry point and still works. Adapters
raise ``ParseError`` (one line) when the body is not what they read; the poller records
that as the source's error. ``CredentialsRequired`` is a ``ParseError`` for sources that
need an account the settings do not provide.
"""

from __future__ import annotations

from monitor.sources.base import Adapter, CredentialsRequired, Item, Parsed, ParseError, Request
from monitor.sources.bluesky import BlueskyAdapter
from monitor.sources.feed import FeedAdapter
from monitor.sources.googlenews import GoogleNewsAdapter, google_news_url
from monitor.sources.jsonfeed import JsonFeedAdapter
from monitor.sources.mastodon import MastodonAdapter
from monitor.sources.reddit import RedditAdapter
from monitor.sources.rss import RssAdapter
from monitor.sources.telegram import TelegramAdapter
from monitor.sources.youtube import YouTubeAdapter

# Order matters for "auto": the first adapter whose handles(url) is true wins.
PLATFORM_ADAPTERS: tuple[type[Adapter], ...] = (
    MastodonAdapter,
    BlueskyAdapter,
    RedditAdapter,
    YouTubeAdapter,
    GoogleNewsAdapter,
    TelegramAdapter,
)
ADAPTERS: dict[str, type[Adapter]] = {
    "auto": FeedAdapter,
    "rss": RssAdapter,
    "atom": RssAdapter,  # older configs named the flavour; one adapter reads all three
    "rdf": RssAdapter,
    "jsonfeed": JsonFeedAdapter,
    **{adapter.kind: adapter for adapter in PLATFORM_ADAPTERS},
}
KINDS: tuple[str, ...] = tuple(ADAPTERS)

__all__ = [
    "ADAPTERS",
    "KINDS",
    "Adapter",
    "CredentialsRequired",
    "Item",
    "ParseError",
    "Parsed",
    "Request",
    "detect_kind",
    "google_news_url",
    "parse",
    "resolve_adapter",
]


def detect_kind(url: str) -> str:
    """The platform kind whose URL pattern ``url`` has, else ``"auto"`` (a generic feed)."""
    return next((adapter.kind for adapter in PLATFORM_ADAPTERS if adapter.handles(url)), "auto")


def resolve_adapter(kind: str, url: str) -> Adapter:
    """An adapter instance: the configured ``kind``, or for ``auto`` the one ``url`` looks like.

    Raises ``ParseError`` for an unknown kind (a source row from a newer or broken config).
    """
    if kind == "auto":
        kind = detect_kind(url)
    try:
        return ADAPTERS[kind]()
    except KeyError:
        raise ParseError(f"unknown source kind {kind!r}; known: {', '.join(KINDS)}") from None


def parse(kind: str, body: bytes, headers: dict[str, str], url: str) -> list[Item]:
    """The items in ``body``; ``kind`` is the configured kind or ``auto`` (older entry point)."""
    return resolve_adapter(kind, url).parse(body, headers, url).items
