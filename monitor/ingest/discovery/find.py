"""Finding a site's or channel's feeds over the network, through the guarded client, bounded.

``discover(url)`` returns the feeds found, best first (``Found``), or raises
``DiscoveryError`` (one line) when the address cannot be read. In order:

1. an address whose shape names its feed (Telegram, LiveJournal, YouTube ``/channel/…``):
   that feed, nothing fetched;
2. the address itself when it answers with a feed;
3. the page's ``<link rel="alternate">`` feeds, the YouTube channel it names, and for a
   ``/@user`` profile its ``.rss`` when that answers with a feed;
4. only when the page offered nothing: well-known paths (/feed, /rss, /atom.xml, /index.xml…)
   of the site, each kept when it answers with a feed.

Every request goes through ``monitor.ingest.fetch`` (the address guard, the proxy settings); at most
``MAX_REQUESTS`` requests of at most ``MAX_BYTES`` each, so a hostile site costs a bounded
amount of time and memory.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from urllib.parse import urlsplit

from monitor.core.settings import Settings, get_settings
from monitor.ingest.fetch import FetchError, FetchResult, HostClients, fetch_async
from monitor.sources.base import one_line
from monitor.sources.discovery_page import (
    Found,
    feed_kind,
    feed_links,
    platform_feeds,
    profile_feed,
    youtube_channel_feeds,
)

MAX_REQUESTS = 10
MAX_BYTES = 2 * 1024 * 1024
MAX_SECONDS = 15.0  # per request (the fetch's own deadline is three times this for a whole redirect chain)
WELL_KNOWN = ("/feed", "/rss", "/atom.xml", "/index.xml", "/feed.xml", "/rss.xml", "/feeds/posts/default")
FEED_TITLE = re.compile(rb"<title[^>]*>\s*(?:<!\[CDATA\[)?(.{1,300}?)(?:\]\]>)?\s*</title>", re.DOTALL)


class DiscoveryError(Exception):
    """The address cannot be read (not http(s), refused by the guard, unreachable); one line."""


def discover(url: str, *, settings: Settings | None = None, proxy: str | None = None) -> list[Found]:
    """The feeds of ``url`` (a site, page, profile or channel address), best first; may be empty."""
    return asyncio.run(discover_async(url, settings=settings, proxy=proxy))


def address_of(text: str) -> str:
    """``text`` as an http(s) URL (``https://`` added to a bare host); ``DiscoveryError`` otherwise."""
    text = text.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError as exc:
        raise DiscoveryError(f"not an address: {one_line(exc, 100)}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DiscoveryError(f"not an http(s) address: {one_line(text, 200)}")
    return text


async def discover_async(url: str, *, settings: Settings | None = None, proxy: str | None = None) -> list[Found]:
    url = address_of(url)
    named = platform_feeds(url)
    if named:
        return named
    settings = _bounded(settings or get_settings())
    async with HostClients(settings, per_host=2, proxy=proxy) as clients:
        fetcher = _Fetcher(clients, settings, proxy)
        try:
            page = await fetcher.get(url)
        except FetchError as exc:
            raise DiscoveryError(f"cannot read {one_line(url, 200)}: {one_line(exc, 200)}") from None
        kind = feed_kind(page.body)
        if kind:
            return [Found(page.url, _feed_title(page.body) or kind.upper(), kind, "address")]
        found = feed_links(page.body, page.url) + youtube_channel_feeds(page.body)
        profile = profile_feed(page.url)
        if profile and await fetcher.is_feed(profile.url):
            found.append(profile)
        if not found:
            found = await _well_known(fetcher, page.url)
    return _unique(found)


class _Fetcher:
    """The guarded fetch with a request budget; ``is_feed`` never raises."""

    def __init__(self, clients: HostClients, settings: Settings, proxy: str | None):
        self._clients, self._settings, self._proxy = clients, settings, proxy
        self.left = MAX_REQUESTS

    async def get(self, url: str) -> FetchResult:
        if self.left <= 0:
            raise FetchError("discovery request budget spent", permanent=True)
        self.left -= 1
        return await fetch_async(self._clients, url, settings=self._settings, proxy=self._proxy)

    async def is_feed(self, url: str) -> FetchResult | None:
        try:
            result = await self.get(url)
        except FetchError:
            return None
        return result if feed_kind(result.body) else None


async def _well_known(fetcher: _Fetcher, page_url: str) -> list[Found]:
    parts = urlsplit(page_url)
    found = []
    for path in WELL_KNOWN:
        if fetcher.left <= 0:
            break
        result = await fetcher.is_feed(f"{parts.scheme}://{parts.netloc}{path}")
        if result is not None:
            kind = feed_kind(result.body) or "rss"
            found.append(Found(result.url, _feed_title(result.body) or kind.upper(), kind, "path"))
    return found


def _feed_title(body: bytes) -> str:
    """The feed's title (an XML feed's first ``<title>``, a JSON Feed's ``title``) as one short line, or ''."""
    if body.lstrip().startswith(b"{"):
        try:
            title = json.loads(body).get("title")
        except (ValueError, AttributeError):
            return ""
        return one_line(title, 200) if isinstance(title, str) else ""
    match = FEED_TITLE.search(body[:16384])
    return one_line(html.unescape(match.group(1).decode("utf-8", "replace")), 200) if match else ""


def _bounded(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "fetch_max_bytes": min(settings.fetch_max_bytes, MAX_BYTES),
            "fetch_timeout": min(settings.fetch_timeout, MAX_SECONDS),
        }
    )


def _unique(found: list[Found]) -> list[Found]:
    seen: dict[str, Found] = {}
    for item in found:
        seen.setdefault(item.url, item)
    return list(seen.values())
