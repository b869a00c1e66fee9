"""The HTTP clients every fetch goes through: our User-Agent, timeouts, no automatic redirects.

``monitor.ingest.fetch`` does the guarded requests with them; ``HostClients`` keeps one small
client per host for a poll batch.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import certifi
import httpx

from monitor.core.settings import USER_AGENT, Settings, get_settings
from monitor.ingest.proxies import effective_proxy

ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"


def _client_options(
    settings: Settings, max_connections: int, verify: ssl.SSLContext | bool = True, proxy: str | None = None
) -> dict:
    return {
        "verify": verify,
        "proxy": proxy,  # None: httpx's default (environment proxies included), as before issue 16
        "timeout": httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
        "follow_redirects": False,
        "headers": {"User-Agent": USER_AGENT, "Accept": ACCEPT},
        # No pool wait: more requests than connections would raise PoolTimeout otherwise;
        # the poller bounds concurrency itself.
        "limits": httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    }


def make_async_client(
    settings: Settings | None = None,
    *,
    max_connections: int = 64,
    verify: ssl.SSLContext | bool = True,
    proxy: str | None = None,
) -> httpx.AsyncClient:
    """The one kind of HTTP client: our User-Agent, timeouts, no automatic redirects.

    ``proxy``: None uses ``MONITOR_PROXY_URL``, ``"none"`` connects directly, else a proxy
    URL. ``client_proxy(client)`` tells ``monitor.ingest.fetch`` which one the client uses.
    """
    settings = settings or get_settings()
    chosen = effective_proxy(settings.proxy_url, proxy)
    client = httpx.AsyncClient(**_client_options(settings, max_connections, verify, chosen))
    client.monitor_proxy = chosen  # read by client_proxy(); httpx keeps its own copy private
    return client


def client_proxy(client: httpx.AsyncClient) -> str | None:
    """The proxy URL ``client`` sends through (None: direct, or a client not made here)."""
    return getattr(client, "monitor_proxy", None)


def tls_context() -> ssl.SSLContext:
    """Certificate verification against certifi's roots, as httpx does by default.

    Loading the roots takes milliseconds, so clients made together share one context.
    """
    return ssl.create_default_context(cafile=certifi.where())


class HostClients:
    """One small ``httpx.AsyncClient`` per host, for polling many sites at once.

    httpx's pool scans every connection it holds on each request and each response, so
    one pool of hundreds of connections costs quadratic time over a large batch. Per-host
    pools stay as small as the per-host concurrency the politeness gate allows anyway.
    """

    def __init__(self, settings: Settings | None = None, *, per_host: int = 2, proxy: str | None = None):
        self._settings = settings or get_settings()
        self._per_host = per_host
        self._proxy = proxy  # None: MONITOR_PROXY_URL; "none": direct
        self._clients: dict[tuple[str, str | None], httpx.AsyncClient] = {}
        self._tls = tls_context()

    def for_url(self, url: str, *, proxy: str | None = None) -> httpx.AsyncClient:
        """The client for ``url``'s host; ``proxy`` (as the constructor's) overrides this set's."""
        host = (urlsplit(url).hostname or "").lower()
        chosen = effective_proxy(self._settings.proxy_url, proxy or self._proxy)
        client = self._clients.get((host, chosen))
        if client is None:
            client = self._clients[(host, chosen)] = make_async_client(
                self._settings, max_connections=self._per_host, verify=self._tls, proxy=chosen or "none"
            )
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients))

    async def __aenter__(self) -> HostClients:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
