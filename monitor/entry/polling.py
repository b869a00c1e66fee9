"""``monitor poll --once``: every enabled source polled once, then spikes refreshed and alerted."""

from __future__ import annotations

from monitor.ingest.poller import PollResult, poll_enabled_once


def poll_all_once(*, progress: bool = False) -> list[PollResult]:
    """Poll every enabled source once; when anything new was stored, refresh spikes (and alert)."""
    results = poll_enabled_once(progress=progress)
    if any(r.new for r in results):
        # Imported here: the detector, SciPy and the alert channels cost an unchanged cycle
        # (nothing new, nothing to refresh) about 0.5 s of start-up (issue 15).
        from monitor.notify.refresh import refresh_spikes

        refresh_spikes()
    return results
