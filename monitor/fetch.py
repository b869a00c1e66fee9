"""Fetching feeds politely and safely with one httpx client.

Errors::

    FetchError(message, permanent=False, retry_after=None)
      ├── raised for HTTP errors (4xx permanent except 408/429, 5xx transient),
      ├── bodies over the size cap or slower than the deadline,
      ├── redirect loops and too many redirects,
      └── addresses on private networks (unless MONITOR_ALLOW_PRIVATE_NETWORKS)

``fetch()`` follows redirects itself so that every hop passes the address guard, reads
the body in chunks up to ``fetch_max_bytes`` *after* decompression (a gzip bomb stops at
the cap), and stops a trickling body at an overall deadline.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import USER_AGENT, Settings, get_settings

REDIRECT_CODES = {301, 302, 303, 307, 308}
TRANSIENT_CODES = {408, 425, 429, 500, 502, 503, 504}
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"


class FetchError(Exception):
    """A fetch failed; ``permanent`` says retrying soon is pointless."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass
class FetchResult:
    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_client(settings: Settings | None = None) -> httpx.Client:
    """The one HTTP client: our User-Agent, timeouts, no automatic redirects."""
    settings = settings or get_settings()
    timeout = httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout))
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


def fetch(
    client: httpx.Client,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    settings: Settings | None = None,
) -> FetchResult:
    """GET ``url`` conditionally; return the final response or raise ``FetchError``."""
    settings = settings or get_settings()
    headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
    deadline = time.monotonic() + settings.fetch_timeout * 3
    seen: set[str] = set()
    for _hop in range(settings.fetch_max_redirects + 1):
        if url in seen:
            raise FetchError(f"redirect loop at {url}", permanent=True)
        seen.add(url)
        check_address(url, allow_private=settings.allow_private_networks)
        result = _get_once(client, url, headers, settings.fetch_max_bytes, deadline)
        if result.status not in REDIRECT_CODES:
            return _checked(result)
        location = result.headers.get("location")
        if not location:
            raise FetchError(f"HTTP {result.status} redirect without Location from {url}")
        url = urljoin(url, location)
    raise FetchError(f"more than {settings.fetch_max_redirects} redirects", permanent=True)


def _get_once(client: httpx.Client, url: str, headers: dict, max_bytes: int, deadline: float) -> FetchResult:
    try:
        with client.stream("GET", url, headers=headers) as response:
            result = FetchResult(url=url, status=response.status_code, headers=dict(response.headers))
            if response.status_code == 200:
                result.body = _read_capped(response, max_bytes, deadline)
            return result
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__})") from None
    except httpx.DecodingError as exc:
        raise FetchError(f"bad content encoding: {exc}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from None


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"body too large: {declared} bytes declared, cap {max_bytes}")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"body too large: over {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchError("body too slow: read deadline passed")
        chunks.append(chunk)
    return b"".join(chunks)


def _checked(result: FetchResult) -> FetchResult:
    if result.status in (200, 304):
        return result
    retry_after = parse_retry_after(result.headers.get("retry-after"))
    transient = result.status in TRANSIENT_CODES or result.status >= 500
    raise FetchError(f"HTTP {result.status} from {result.url}", permanent=not transient, retry_after=retry_after)


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
