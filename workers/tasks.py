"""Celery tasks: thin shells around the monitor's functions. Ids in, nothing out.

Every task is idempotent: a source is claimed with a conditional UPDATE before it is
queued, mentions are stored under unique keys, a digest is claimed by its delivery row.
So a redelivered message (``acks_late``) or a second beat does no harm.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from workers.app import app

log = logging.getLogger(__name__)
POLL_LEASE = timedelta(minutes=10)
POLL_TIME_LIMIT = 300


@app.task(acks_late=True, time_limit=120, soft_time_limit=100)
def dispatch_due_sources() -> int:
    """Sync the config, claim every due source and queue one poll per claimed source."""
    from monitor import db, store
    from monitor.models import utcnow

    _sync_config()
    now = utcnow()
    queued = 0
    with db.session_scope() as session:
        due = store.due_source_ids(session, now=now)
    for source_id in due:
        with db.session_scope() as session:
            won = store.claim_source(session, source_id=source_id, now=now, lease_until=now + POLL_LEASE)
        if won:
            poll_source.delay(source_id)
            queued += 1
    log.info("dispatched due sources", extra={"due": len(due), "queued": queued})
    return queued


@app.task(acks_late=True, time_limit=POLL_TIME_LIMIT, soft_time_limit=POLL_TIME_LIMIT - 30)
def poll_source(source_id: int) -> int:
    """Poll one source; returns how many new mentions it stored."""
    from monitor.poller import poll_source as run

    return run(source_id).new


@app.task(acks_late=True, time_limit=600, soft_time_limit=540)
def send_due_digests() -> int:
    """Send yesterday's digest to recipients who lack it, once the configured hour has come."""
    from monitor.digest import send_due_digests as run

    watchlist = _sync_config()
    if watchlist is None:
        return 0
    return len(run(digest=watchlist.digest))


def _sync_config():
    """Load and sync the config so edits take effect without a restart; None if unusable."""
    from monitor import db, store
    from monitor.config import get_settings
    from monitor.watchlist import ConfigError, load_watchlist

    path = get_settings().config
    if not path.exists():
        return None
    try:
        watchlist = load_watchlist(path)
    except ConfigError as exc:
        log.error("config not usable, keeping the last synced one: %s", exc)
        return None
    with db.session_scope() as session:
        store.sync_watchlist(session, watchlist=watchlist)
    return watchlist
