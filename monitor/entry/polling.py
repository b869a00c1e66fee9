"""``monitor poll --once``: every enabled source polled once, then spikes refreshed and alerted."""

from __future__ import annotations

from monitor.ingest.poller import PollResult, poll_enabled_once
from monitor.notify.refresh import refresh_spikes


def poll_all_once(*, progress: bool = False) -> list[PollResult]:
    """Poll every enabled source once; when anything new was stored, refresh spikes (and alert)."""
    results = poll_enabled_once(progress=progress)
    if any(r.new for r in results):
        refresh_spikes()
    return results
