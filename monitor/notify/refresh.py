"""The spike refresh: spikes recomputed from the stored mentions, then alerts for the new ones.

Not part of a poll: it covers every person, so the worker task runs it at most once per
``MONITOR_SPIKE_REFRESH_SECONDS`` however many batches are polled.
"""

from __future__ import annotations

import logging
from datetime import datetime

from monitor.core import db
from monitor.core.models import utcnow
from monitor.core.storage.spikes import update_spikes
from monitor.notify.alerts import retry_failed_alerts, send_spike_alerts

log = logging.getLogger(__name__)


def refresh_spikes(now: datetime | None = None) -> list[int]:
    """Recompute spikes from the stored mentions and alert on new ones; the new spike ids.

    Not part of a poll: it covers every person, so the worker task runs it at most once per
    ``MONITOR_SPIKE_REFRESH_SECONDS`` however many batches are polled. Spikes are derived
    from stored mentions and recomputed on the next refresh, so a failure is logged, not raised.
    """
    now = now or utcnow()
    try:
        with db.session_scope() as session:
            new_ids = [spike.id for spike in update_spikes(session, now=now)]
        send_spike_alerts(new_ids, now=now)  # after the commit: the claims refer to stored spikes
        retry_failed_alerts(now=now)
        return new_ids
    except Exception:
        log.exception("spike update failed", extra={"at": now.isoformat()})
        return []
