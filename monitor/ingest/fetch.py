"""Fetching feeds politely and safely with one httpx client.

Errors::

    FetchError(message, permanent=False, retry_after=None)
      ├── raised for HTTP errors (4xx permanent except 408/429, 5xx transient),
      ├── bodies over the size cap or slower than the deadline,
      ├── redirect loops, too many redirects, URLs that cannot be sent (a port over 65535),
      └── addresses on private networks (unless MONITOR_ALLOW_PRIVATE_NETWORKS)

``fetch_async()`` follows redirects itself so that every hop passes the address guard
(``monitor.ingest.addresses``: resolved once, connected to the checked address), then the host's
politeness slot; credential headers never leave the first origin. It reads
the body in chunks up to ``fetch_max_bytes`` *after* decompression (a gzip bomb stops at
the cap), and stops a trickling body at an overall deadline.
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpx

from monitor.core.settings import Settings, get_settings
from monitor.ingest.addresses import AddressRefused, Target, origin_of, printable, resolve_checked
from monitor.ingest.http_clients import ACCEPT, HostClients, client_proxy, make_async_client, tls_context  # noqa: F401 - their old home
from monitor.ingest.proxies import proxied_target, redacted
from monitor.sources.base import TransportError

REDIRECT_CODES = {301, 302, 303, 307, 308}
TRANSIENT_CODES = {408, 425, 429, 500, 502, 503, 504}
# Sent only to the origin they were given for; a redirect elsewhere drops them, as browsers do.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
MAX_RETRY_AFTER = 86400.0  # a longer Retry-After is read as a day (the longest backoff anyway)


class FetchError(TransportError):
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
    request_headers: dict[str, str] = field(default_factory=dict)  # as sent (kept as evidence, monitor.evidence)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(url: str, **options) -> FetchResult:
    """One ``fetch_async`` from synchronous code, with clients of its own (tools, tests)."""

    async def once() -> FetchResult:
        async with HostClients(options.get("settings"), proxy=options.get("proxy")) as clients:
            return await fetch_async(clients, url, **options)

    return asyncio.run(once())


async def fetch_async(
    clients: HostClients | httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
    gate=None,
    method: str = "GET",
    json: object = None,
    proxy: str | None = None,
    content: bytes | None = None,
) -> FetchResult:
    """Request ``url`` (GET conditionally, or ``method`` with a ``json`` or raw ``content`` body,
    its Content-Type in ``headers``); the final response.

    Every hop is resolved once, checked by the address guard and connected to the checked
    address; only then does it wait for a slot of its host on ``gate`` (a politeness gate,
    or None), so a refused request never holds one. Credential headers go only to the
    first URL's origin. Raises ``FetchError`` (one line) for every failure.

    ``proxy`` (with ``HostClients``; a bare client brings its own): None uses
    ``MONITOR_PROXY_URL``, ``"none"`` connects directly. Through a proxy nothing is resolved
    here (``monitor.ingest.proxies``): the hop is checked without an address and sent by name.
    """
    settings = settings or get_settings()
    hops = _Hops(url, settings)
    sent = _request_headers(etag, last_modified, headers)
    while True:
        client = clients.for_url(hops.url, proxy=proxy) if isinstance(clients, HostClients) else clients
        through = client_proxy(client)
        target = await asyncio.to_thread(_checked_target, hops.url, settings, through is not None)
        send = functools.partial(
            _get_once_async,
            client,
            headers=hops.headers_for(target, sent),
            max_bytes=settings.fetch_max_bytes,
            deadline=hops.deadline,
            method=method,
            json=json,
            content=content,
        )
        result = await _gated(gate, target.host, _first_connecting(target, send, through))
        if method != "GET" and result.status in REDIRECT_CODES:
            raise FetchError(f"HTTP {result.status}: a {method} is not redirected ({target.host})", permanent=True)
        if not hops.follow(result):
            return await _checked_or_paused(result, gate, target.host)


def _checked_target(url: str, settings: Settings, proxied: bool = False) -> Target:
    check = proxied_target if proxied else resolve_checked
    try:
        return check(url, allow_private=settings.allow_private_networks)
    except AddressRefused as exc:
        raise FetchError(str(exc), permanent=exc.permanent) from None


async def _gated(gate, host: str, request):
    """Run the ``request`` coroutine inside a slot of ``host`` on the politeness gate."""
    if gate is None:
        return await request
    async with gate.slot(host):
        return await request


async def _checked_or_paused(result: FetchResult, gate, host: str) -> FetchResult:
    """``_checked(result)``; a ``Retry-After`` pauses the host on the gate for every worker."""
    try:
        return _checked(result)
    except FetchError as exc:
        if exc.retry_after and gate is not None:
            await gate.pause(host, exc.retry_after)
        raise


async def _first_connecting(target: Target, send, proxy: str | None = None) -> FetchResult:
    """``send`` to the target's checked addresses in turn until one accepts the connection.

    Only a refused or unreachable connection moves on (as httpx's own connect would to the
    name's next address); any answer, or any other failure, is the result. Through a
    ``proxy`` the target has no address: it is sent once, by name.
    """
    if proxy is not None:
        try:
            return await send(_by_name(target))
        except FetchError as exc:
            raise FetchError(
                f"through proxy {redacted(proxy)}: {exc}",
                permanent=exc.permanent,
                retry_after=exc.retry_after,
                status=exc.status,
            ) from None
    for address in target.addresses[:-1]:
        try:
            return await send(_pinned(target, address))
        except _ConnectFailed:
            continue
    return await send(_pinned(target, target.addresses[-1]))


def _pinned(target: Target, address: str) -> _Pinned:
    """How to connect to ``target`` at ``address`` (checked), with the name kept for Host and TLS SNI.

    The one place the connection is pinned. A proxied fetch (which must connect by name
    through the proxy) would return the URL unchanged here instead.
    """
    url = httpx.URL(target.url)
    return _Pinned(
        url=url.copy_with(host=address),
        host_header=url.netloc.decode("ascii"),
        sni=target.host if target.scheme == "https" else None,
        logical=target.url,
    )


def _by_name(target: Target) -> _Pinned:
    """How to send ``target`` through a proxy: the URL unchanged, for the proxy to resolve."""
    url = httpx.URL(target.url)
    return _Pinned(url=url, host_header=url.netloc.decode("ascii"), sni=None, logical=target.url)


@dataclass
class _Pinned:
    url: httpx.URL  # the checked address in place of the name
    host_header: str
    sni: str | None
    logical: str  # the URL as written, reported back and used for redirects


def _request_headers(etag: str | None, last_modified: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    conditional = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
    return {**(extra or {}), **conditional}


class _Hops:
    """Redirect bookkeeping: loop and hop limits, one deadline, the origin credentials belong to."""

    def __init__(self, url: str, settings: Settings):
        self.url = url
        self.deadline = time.monotonic() + settings.fetch_timeout * 3
        self._left = settings.fetch_max_redirects
        self._seen = {url}
        self._origin = origin_of(url)

    def headers_for(self, target: Target, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` for this hop: without credentials once a redirect left the first origin."""
        if target.origin == self._origin:
            return headers
        return {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}

    def follow(self, result: FetchResult) -> bool:
        """True (and ``self.url`` moved on) when ``result`` is a redirect to follow."""
        if result.status not in REDIRECT_CODES:
            return False
        location = result.headers.get("location")
        if not location:
            raise FetchError(f"HTTP {result.status} redirect without Location from {result.url}")
        try:
            target = urljoin(result.url, location)
        except ValueError:
            raise FetchError(
                f"HTTP {result.status} redirect to an unreadable Location from {result.url}", permanent=True
            ) from None
        if target in self._seen:
            raise FetchError(f"redirect loop at {target}", permanent=True)
        if self._left == 0:
            raise FetchError(f"too many redirects (more than {len(self._seen) - 1})", permanent=True)
        self._left -= 1
        self._seen.add(target)
        self.url = target
        return True


class _ConnectFailed(FetchError):
    """The connection to one address was refused or unreachable: the next address may answer."""


async def _get_once_async(
    client: httpx.AsyncClient,
    pin: _Pinned,
    *,
    headers: dict,
    max_bytes: int,
    deadline: float,
    method: str,
    json: object,
    content: bytes | None = None,
) -> FetchResult:
    extensions = {"sni_hostname": pin.sni} if pin.sni else {}
    try:
        async with client.stream(
            method,
            pin.url,
            headers={**headers, "Host": pin.host_header},
            json=json,
            content=content,
            extensions=extensions,
        ) as response:
            result = FetchResult(
                url=pin.logical,
                status=response.status_code,
                headers=dict(response.headers),
                request_headers=dict(response.request.headers),
            )
            if response.status_code == 200:
                _check_declared(response, max_bytes)
                remaining = max(0.1, deadline - time.monotonic())
                result.body = await asyncio.wait_for(_collect_async(response, max_bytes, deadline), remaining)
            elif response.status_code == 304:
                # Bodiless by definition (h11 reads nothing), but only a response read to its end
                # leaves the connection for the next request: unread, every 304 cost a new
                # connection (a TLS handshake on a real site; issue 15).
                await response.aread()
            return result
    except TimeoutError:
        raise FetchError("body too slow: read deadline passed") from None
    except httpx.ConnectError as exc:
        raise _ConnectFailed(f"ConnectError: {exc}") from None
    except httpx.HTTPError as exc:
        raise _as_fetch_error(exc) from None
    except (httpx.InvalidURL, ValueError) as exc:  # a URL httpx cannot send
        raise FetchError(f"bad URL {printable(pin.logical)}: {printable(str(exc))}", permanent=True) from None


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
        f"HTTP {result.status} from {result.url}",
        permanent=not transient,
        retry_after=retry_after,
        status=result.status,
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header in either form (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        return min(MAX_RETRY_AFTER, max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds()))
    except (OverflowError, TypeError):
        return None


def check_address(url: str, *, allow_private: bool) -> None:
    """Refuse (``FetchError``) URLs that are not http(s) or whose host resolves to a private address."""
    try:
        resolve_checked(url, allow_private=allow_private)
    except AddressRefused as exc:
        raise FetchError(str(exc), permanent=exc.permanent) from None
