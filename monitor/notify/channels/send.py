"""One message to one channel URL through Apprise.

Apprise makes its own HTTP requests (with ``requests``): the documented exception to the
project's one outbound client. Its plugins take no proxy argument, so ``MONITOR_PROXY_URL``
reaches them through ``requests``' environment merge: while a delivery runs (one at a time in
a process, under ``_lock``) every ``requests`` session asks ``_proxies`` first. Only Apprise
uses ``requests`` here, so nothing else is routed through the proxy. A socks5 proxy needs
PySocks beside requests; without it the delivery fails with a one-line error.
"""

from __future__ import annotations

import threading

import apprise
import requests

from monitor.notify.channels import ChannelError

_lock = threading.Lock()
_proxy: str | None = None
_original_merge = requests.Session.merge_environment_settings


def _merge(self, url, proxies, stream, verify, cert):
    if _proxy and not (proxies or {}).get("all"):
        proxies = dict(proxies or {}, http=_proxy, https=_proxy)
    return _original_merge(self, url, proxies, stream, verify, cert)


requests.Session.merge_environment_settings = _merge


def service_of(url: str) -> str:
    """The Apprise service a URL names ("Telegram", "Matrix" …); a permanent ChannelError when
    Apprise does not accept it (the message never repeats the URL: it holds a token)."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise ChannelError("Apprise does not accept this channel URL", permanent=True)
    return str(plugin.service_name)


def send(url: str, *, title: str, body: str, proxy_url: str | None = None, timeout: float = 30.0) -> None:
    """Deliver ``title`` and ``body`` (plain text) to ``url``; ChannelError with a one-line reason."""
    global _proxy
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise ChannelError("Apprise does not accept this channel URL", permanent=True)
    service = service_of(url)
    with _lock:
        _proxy = proxy_url
        try:
            result = notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT, timeout=timeout)
        finally:
            _proxy = None
    if not result:
        raise ChannelError(f"{service}: the service did not accept the message ({_reason(result)})")


def _reason(result) -> str:
    """The last warning Apprise logged for this delivery, on one line, or its status."""
    try:
        entries = [str(getattr(e, "message", e)) for e in result.logs()]
    except Exception:  # noqa: BLE001 (a reason is a courtesy; the failure stands without one)
        entries = []
    text = entries[-1] if entries else str(getattr(result, "status", "failed"))
    # Apprise names the endpoint in its messages; an address with a token in it stays out.
    return " ".join("<url>" if "://" in word or "@" in word else word for word in text.split())[:200]
