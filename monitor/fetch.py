"""Fetching feeds politely and safely with one httpx client.

Errors::

    FetchError(message, permanent=False, retry_after=None)
      ├── raised for HTTP errors (4xx permanent except 408/429, 5xx transient),
      ├── bodies over the size cap or slower than the deadline,
      ├── redirect loops and too many redirects,
      └── addresses on private networks (unless MONITOR_ALLOW_PRIVATE_NETWORKS)

``fetch_async()`` follows redirects itself so that every hop passes the address guard, reads
the body in chunks up to ``fetch_max_bytes`` *after* decompression (a gzip bomb stops at
the cap), and stops a trickling body at an overall deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from monitor.config import USER_AGENT, Settings, get_settings

REDIRECT_CODES = {301, 302, 303, 307, 308}
TRANSIENT_CODES = {408, 425, 429, 500, 502, 503, 504}
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"


class FetchError(Exception):
    """A fetch failed; ``permanent`` says retrying soon is pointless."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status


@dataclass
class FetchResult:
    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _client_options(settings: Settings, max_connections: int, verify: ssl.SSLContext | bool = True) -> dict:
    return {
        "verify": verify,
        "timeout": httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
        "follow_redirects": False,
        "headers": {"User-Agent": USER_AGENT, "Accept": ACCEPT},
        # No pool wait: more requests than connections would raise PoolTimeout otherwise;
        # the poller bounds concurrency itself.
        "limits": httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    }


def make_async_client(
    settings: Settings | None = None, *, max_connections: int = 64, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncClient:
    """The one kind of HTTP client: our User-Agent, timeouts, no automatic redirects."""
    return httpx.AsyncClient(**_client_options(settings or get_settings(), max_connections, verify))


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

    def __init__(self, settings: Settings | None = None, *, per_host: int = 2):
        self._settings = settings or get_settings()
        self._per_host = per_host
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._tls = tls_context()

    def for_url(self, url: str) -> httpx.AsyncClient:
        host = (urlsplit(url).hostname or "").lower()
        client = self._clients.get(host)
        if client is None:
            client = self._clients[host] = make_async_client(
                self._settings, max_connections=self._per_host, verify=self._tls
            )
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients))

    async def __aenter__(self) -> "HostClients":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


def fetch(url: str, **options) -> FetchResult:
    """One ``fetch_async`` from synchronous code, with a client of its own (tools, tests)."""

    async def once() -> FetchResult:
        async with make_async_client(options.get("settings"), max_connections=2) as client:
            return await fetch_async(client, url, **options)

    return asyncio.run(once())


async def fetch_async(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
) -> FetchResult:
    """GET ``url`` conditionally; return the final response or raise ``FetchError``."""
    settings = settings or get_settings()
    hops = _Hops(url, settings)
    sent = _request_headers(etag, last_modified, headers)
    while True:
        await asyncio.to_thread(check_address, hops.url, allow_private=settings.allow_private_networks)
        result = await _get_once_async(client, hops.url, sent, settings.fetch_max_bytes, hops.deadline)
        if not hops.follow(result):
            return _checked(result)


def _request_headers(etag: str | None, last_modified: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    conditional = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
    return {**(extra or {}), **conditional}


class _Hops:
    """Redirect bookkeeping: loop and hop limits, one deadline for the whole fetch."""

    def __init__(self, url: str, settings: Settings):
        self.url = url
        self.deadline = time.monotonic() + settings.fetch_timeout * 3
        self._left = settings.fetch_max_redirects
        self._seen = {url}

    def follow(self, result: FetchResult) -> bool:
        """True (and ``self.url`` moved on) when ``result`` is a redirect to follow."""
        if result.status not in REDIRECT_CODES:
            return False
        location = result.headers.get("location")
        if not location:
            raise FetchError(f"HTTP {result.status} redirect without Location from {result.url}")
        target = urljoin(result.url, location)
        if target in self._seen:
            raise FetchError(f"redirect loop at {target}", permanent=True)
        if self._left == 0:
            raise FetchError(f"too many redirects (more than {len(self._seen) - 1})", permanent=True)
        self._left -= 1
        self._seen.add(target)
        self.url = target
        return True


async def _get_once_async(client: httpx.AsyncClient, url: str, headers: dict, max_bytes: int, deadline: float) -> FetchResult:
    try:
        async with client.stream("GET", url, headers=headers) as response:
            result = FetchResult(url=url, status=response.status_code, headers=dict(response.headers))
            if response.status_code == 200:
                _check_declared(response, max_bytes)
                remaining = max(0.1, deadline - time.monotonic())
                result.body = await asyncio.wait_for(_collect_async(response, max_bytes, deadline), remaining)
            return result
    except asyncio.TimeoutError:
        raise FetchError("body too slow: read deadline passed") from None
    except httpx.HTTPError as exc:
        raise _as_fetch_error(exc) from None


def _as_fetch_error(exc: httpx.HTTPError) -> FetchError:
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(f"timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.DecodingError):
        return FetchError(f"bad content encoding: {exc}")
    return FetchError(f"{type(exc).__name__}: {exc}")


def _check_declared(response: httpx.Response, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"body too large: {declared} bytes declared, cap {max_bytes}")


class _Body:
    """Collects decoded chunks up to the cap and the deadline (a gzip bomb stops at the cap)."""

    def __init__(self, max_bytes: int, deadline: float):
        self.chunks: list[bytes] = []
        self.size = 0
        self.max_bytes, self.deadline = max_bytes, deadline

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise FetchError(f"body too large: over {self.max_bytes} bytes")
        if time.monotonic() > self.deadline:
            raise FetchError("body too slow: read deadline passed")
        self.chunks.append(chunk)


async def _collect_async(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    body = _Body(max_bytes, deadline)
    async for chunk in response.aiter_bytes():
        body.add(chunk)
    return b"".join(body.chunks)


def _checked(result: FetchResult) -> FetchResult:
    if result.status in (200, 304):
        return result
    retry_after = parse_retry_after(result.headers.get("retry-after"))
    transient = result.status in TRANSIENT_CODES or result.status >= 500
    raise FetchError(
        f"HTTP {result.status} from {result.url}", permanent=not transient, retry_after=retry_after, status=result.status
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header in either form (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def check_address(url: str, *, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a private address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url}", permanent=True)
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {parts.hostname}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise FetchError(
                f"{parts.hostname} resolves to non-public address {address}; "
                "set MONITOR_ALLOW_PRIVATE_NETWORKS=true to allow it",
                permanent=True,
            )
