"""The address guard: which hosts a fetch may reach, resolved once per hop.

``resolve_checked(url, allow_private=…)`` resolves the URL's host a single time, refuses
it when any answer is not a public address (unless private networks are allowed), and
returns a ``Target`` naming the checked addresses to connect to. ``monitor.ingest.fetch`` connects to
exactly that address, so a DNS server that answers differently the second time (DNS
rebinding) cannot steer the connection to an address that was never checked.

"Public" is ``ipaddress``'s ``is_global``, looking through the IPv6 forms that embed an
IPv4 address: IPv4-mapped (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::/96``) and 6to4
(``2002::/16``), so ``64:ff9b::7f00:1`` is loopback as surely as ``127.0.0.1`` is.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.sources.base import DEFAULT_PORTS, origin_of  # noqa: F401 - origin_of: the guard's callers use it from here

NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated, but stacks still route some of it
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class AddressRefused(Exception):
    """The URL is not http(s), does not resolve, or resolves to a non-public address."""

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Target:
    """One hop's destination: the URL as written and the checked address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]  # every answer, all checked; connected to in this order

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def printable(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` with every control character shown as ``?``: error messages stay one line."""
    return "".join(ch if ch.isprintable() else "?" for ch in text[:limit])


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for a globally routable address, judging IPv6 forms of IPv4 by the IPv4 inside."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in NAT64 or address in IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return address.is_global


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))


def resolve_checked(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url``'s host once and check every answer; the address to connect to.

    Raises ``AddressRefused`` (one line) for a non-http(s) URL, a bad port, a name that
    does not resolve, or any non-public answer while private networks are not allowed.
    """
    scheme, host, port = _parts(url)
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        reason = printable(str(getattr(exc, "strerror", None) or exc))
        raise AddressRefused(f"cannot resolve {printable(host)}: {reason}", permanent=False) from None
    if not addresses:
        raise AddressRefused(f"cannot resolve {printable(host)}: no address", permanent=False)
    if not allow_private:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text)):
                raise AddressRefused(
                    f"{printable(host)} resolves to non-public address {text}; set MONITOR_ALLOW_PRIVATE_NETWORKS=true to allow it"
                )
    return Target(url=url, scheme=scheme, host=host, port=port, addresses=tuple(addresses))


def _parts(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "Port out of range", a bad IPv6 literal
        raise AddressRefused(f"bad URL {printable(url)}: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise AddressRefused(f"not an http(s) URL: {printable(url)}")
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]
