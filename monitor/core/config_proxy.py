"""Proxy URLs as the settings and the config file accept them (``MONITOR_PROXY_URL``, a
source's or provider's ``proxy``): http, https or socks5 with a host, or "none"."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

DIRECT = "none"
SCHEMES = ("http", "https", "socks5", "socks5h")


class ProxyConfigError(ValueError):
    """The proxy URL cannot be used (one line)."""


def check_proxy_url(value: str) -> str:
    """``value`` itself when it is ``"none"`` or a usable proxy URL; else ``ProxyConfigError``."""
    value = value.strip()
    if value == DIRECT:
        return value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError as exc:
        raise ProxyConfigError(f"bad proxy URL: {exc}") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ProxyConfigError(
            f'bad proxy URL {redacted(value)!r}: expected {", ".join(SCHEMES)}:// with a host, or "none"'
        )
    return value


def redacted(proxy: str) -> str:
    """The proxy URL without its user name and password, for messages and logs."""
    try:
        parts = urlsplit(proxy)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, "", "", ""))
    except ValueError:
        return "(unreadable proxy URL)"
