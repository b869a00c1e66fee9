"""The HTTP clients a provider's searches go through: the guarded ones every poll uses.

``clients_for(proxy)``: a provider's ``proxy`` key unset or ``"none"`` gives the default
``HostClients``; any other value is passed on as ``proxy=`` to ``HostClients``, which
routes through it (the proxy resolves names, so the guard refuses loopback and private
literals itself).
"""

from __future__ import annotations

from monitor.core.settings import Settings
from monitor.ingest.http_clients import HostClients


def clients_for(proxy: str | None, settings: Settings) -> HostClients:
    """Per-host guarded clients for one provider's run, through ``proxy`` when one is set."""
    per_host = settings.host_concurrency
    if proxy is None or proxy == "none":
        return HostClients(settings, per_host=per_host)
    return HostClients(settings, per_host=per_host, proxy=proxy)
