"""Fetching through a proxy: which proxy a request uses, and the guard that replaces pinning.

``MONITOR_PROXY_URL`` (http, https or socks5) is the default for every request to a source or
a search provider; a source's or provider's ``proxy`` key overrides it, ``"none"`` meaning a
direct connection. ``effective_proxy(setting, override)`` picks one.

Through a proxy the proxy resolves the name. httpx hands SOCKS5 to httpcore, which sends the
host *name* in the CONNECT request (socksio's ``SOCKS5CommandRequest.from_address`` picks the
domain-name address type for anything that is not an IP literal), so ``socks5://`` already has
``socks5h`` semantics (encode/httpx#203; httpx 0.28 accepts ``socks5h://`` as the same): no
local DNS lookup leaks the name and ``.onion`` addresses work. The
address guard of ``monitor.ingest.addresses`` cannot pin an address it never sees, so
``proxied_target`` refuses what we can judge without resolving: private and loopback
literals and names that only mean something locally (``localhost``, ``*.local``…). The proxy
is trusted with the rest (README).

Errors::

    ProxyConfigError(ValueError)   a proxy URL that is not http, https, socks5 or socks5h with a host
"""

from __future__ import annotations

import ipaddress
import socket

from monitor.core.config_proxy import DIRECT, SCHEMES, ProxyConfigError, check_proxy_url, redacted  # noqa: F401
from monitor.ingest.addresses import AddressRefused, Target, _parts, is_public, printable

# Names a proxy would resolve to itself or its own network, never to a public site.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".lan", ".home.arpa", ".intranet")


def effective_proxy(setting: str | None, override: str | None) -> str | None:
    """The proxy URL to use, or None for a direct connection.

    ``override`` (a source's or provider's ``proxy`` key) wins over ``setting``
    (``MONITOR_PROXY_URL``); either may be ``"none"``.
    """
    chosen = override if override else setting
    return None if not chosen or chosen == DIRECT else chosen


def proxied_target(url: str, *, allow_private: bool) -> Target:
    """The target of a hop sent through a proxy: not resolved here, so no address to pin.

    Refuses (``AddressRefused``) a non-http(s) URL, and unless ``allow_private`` a non-public
    IP literal or a local-only name.
    """
    scheme, host, port = _parts(url)
    if not allow_private:
        problem = local_host_problem(host)
        if problem:
            raise AddressRefused(f"{printable(host)} {problem}; set MONITOR_ALLOW_PRIVATE_NETWORKS=true to allow it")
    return Target(url=url, scheme=scheme, host=host, port=port, addresses=())


def local_host_problem(host: str) -> str | None:
    """Why ``host`` must not be sent to a proxy (a non-public literal, a local name), or None."""
    literal = host.strip("[]")
    try:
        address = ipaddress.ip_address(literal.split("%")[0])
    except ValueError:
        address = _loose_ipv4(literal)
    if address is not None:
        return None if is_public(address) else "is a non-public address"
    name = host.rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES):
        return "is a local name"
    if "." not in name:  # a single label means a search domain or a hosts file entry: local
        return "is a local name (no domain)"
    return None


def _loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of a shorthand IPv4 literal ("127.1", "0x7f.0.0.1", "2130706433") that a
    proxy's resolver (getaddrinfo, inet_aton) would read as one; None for a real name."""
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None
