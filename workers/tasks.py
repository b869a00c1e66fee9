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
dispatch_log = logging.getLogger("workers.dispatch")  # routine: quiet under `monitor up` (monitor.core.logs)
POLL_TIME_LIMIT = 300


@app.task(acks_late=True, time_limit=120, soft_time_limit=100)
def dispatch_due_sources() -> int:
    """Sync the config, claim every due source, queue them in batches grouped by host."""
    from monitor.core import db
    from monitor.core import storage as store
    from monitor.core.models import utcnow
    from monitor.core.settings import get_settings

    _sync_config()
    now = utcnow()
    # Short: the running batch renews it (``poll_sources``), a dead worker's lapses soon.
    lease = timedelta(seconds=get_settings().poll_lease_seconds)
    with db.session_scope() as session:
        due = store.due_sources(session, now=now)
    claimed = []
    for source_id, _url in sorted(due, key=lambda row: _host(row[1])):
        with db.session_scope() as session:
            if store.claim_source(session, source_id=source_id, now=now, lease_until=now + lease):
                claimed.append(source_id)
    size = get_settings().poll_batch_size
    for start in range(0, len(claimed), size):
        poll_batch.delay(claimed[start : start + size])
    dispatch_log.info(
        "dispatched due sources: %s due, %s claimed", len(due), len(claimed), extra={"claimed": len(claimed)}
    )
    return len(claimed)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""


def _transient_errors() -> tuple[type[Exception], ...]:
    """Errors of a server that is briefly away: the database, or Redis (the per-host gate)."""
    import redis
    import sqlalchemy as sa

    return (
        sa.exc.OperationalError,
        sa.exc.InterfaceError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    )


@app.task(
    acks_late=True,
    time_limit=POLL_TIME_LIMIT,
    soft_time_limit=POLL_TIME_LIMIT - 30,
    autoretry_for=_transient_errors(),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=5,
)
def poll_batch(source_ids: list[int]) -> int:
    """Poll these sources concurrently in one event loop; returns how many new mentions.

    The database away for longer than the writer's own retries, or Redis (the per-host gate)
    restarting: the whole task is retried. Writes are idempotent and sources already stored
    answer "not modified", so a poll stored half before the failure is not stored twice.
    """
    from monitor.core.settings import get_settings
    from monitor.ingest.poller import poll_many

    results = poll_many(source_ids, lease_seconds=get_settings().poll_lease_seconds)
    if any(r.new for r in results):
        _queue_spike_refresh()
    log.info(
        "polled batch: %s sources, %s new, %s failed",
        len(results),
        sum(r.new for r in results),
        sum(1 for r in results if r.error),
        extra={"source_ids": source_ids, "new": sum(r.new for r in results)},
    )
    return sum(result.new for result in results)


def _queue_spike_refresh() -> None:
    # The mentions are stored: a broker that cannot take the follow-up now must not fail
    # (and so retry) the poll. The beat queues a refresh within MONITOR_SPIKE_REFRESH_SECONDS.
    try:
        refresh_spikes.apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker error
        log.warning("could not queue a spike refresh, the beat will: %s", exc)


@app.task(acks_late=True, time_limit=POLL_TIME_LIMIT, soft_time_limit=POLL_TIME_LIMIT - 30, ignore_result=True)
def refresh_spikes() -> int:
    """Recompute spikes and send their alerts, unless another worker did so within the gap.

    Queued after every poll batch that stored mentions and on the beat, so a skipped
    refresh is made up within ``MONITOR_SPIKE_REFRESH_SECONDS``. Returns the new spikes.
    """
    from monitor.core import db
    from monitor.core import storage as store
    from monitor.core.models import utcnow
    from monitor.core.settings import get_settings
    from monitor.notify.refresh import refresh_spikes as run

    now = utcnow()
    with db.session_scope() as session:
        if not store.claim_spike_refresh(session, now=now, min_gap_seconds=get_settings().spike_refresh_seconds):
            return 0
    return len(run(now))


@app.task(acks_late=True, time_limit=30, soft_time_limit=20, ignore_result=True)
def heartbeat() -> None:
    """Record that a worker consumes tasks; ``/healthz`` and ``/metrics`` report the age."""
    from monitor.core import db
    from monitor.ingest import metrics

    with db.session_scope() as session:
        metrics.beat(session)


@app.task(acks_late=True, time_limit=POLL_TIME_LIMIT, soft_time_limit=POLL_TIME_LIMIT - 30)
def poll_source(source_id: int) -> int:
    """Poll one source; returns how many new mentions it stored."""
    return poll_batch(source_ids=[source_id])


@app.task(acks_late=True, time_limit=600, soft_time_limit=540)
def send_due_digests() -> int:
    """Send yesterday's digest to recipients who lack it, once the configured hour has come."""
    from monitor.notify.digest import send_due_digests as run

    watchlist = _sync_config()
    if watchlist is None:
        return 0
    return len(run(digest=watchlist.digest))


@app.task(acks_late=True, time_limit=POLL_TIME_LIMIT, soft_time_limit=POLL_TIME_LIMIT - 30)
def run_searches() -> int:
    """Search the due people on every enabled provider within its budget (issue 16); how many new mentions."""
    from monitor.search.run import run_searches as run

    watchlist = _sync_config()
    summaries = run(watchlist.search) if watchlist else []
    if any(s.new for s in summaries):
        _queue_spike_refresh()
    return sum(s.new for s in summaries)


@app.task(acks_late=True, time_limit=600, soft_time_limit=540, ignore_result=True)
def stamp_evidence() -> int:
    """Timestamp the captures made since the last run at every [evidence] TSA; how many."""
    from monitor.core import db
    from monitor.core.settings import get_settings
    from monitor.evidence.stamp import evidence_settings, stamp_pending

    watchlist = _sync_config()
    if watchlist is None or not watchlist.evidence.tsa:
        return 0
    with db.session_scope() as session:
        return stamp_pending(session, settings=get_settings(), evidence=evidence_settings(watchlist)).captures


def _sync_config():
    """Load and sync the config so edits take effect without a restart; None if unusable."""
    from monitor.core import db
    from monitor.core.config_file import ConfigError, load_watchlist
    from monitor.core.settings import get_settings
    from monitor.core.storage.config_sync import sync_config

    settings = get_settings()
    if not settings.config.exists():
        return None
    try:
        watchlist = load_watchlist(settings.config)
        with db.session_scope() as session:
            sync_config(session, watchlist=watchlist, allow_empty=settings.allow_empty_config)
    except ConfigError as exc:
        # ``loggable``: the file, entry and key without a person's name or values.
        log.error("config not usable, keeping the last synced one: %s", exc.loggable)
        return None
    return watchlist


@app.task(acks_late=True, time_limit=POLL_TIME_LIMIT, soft_time_limit=POLL_TIME_LIMIT - 30)
def evidence_recheck() -> int:
    """Capture the linked pages of newly preserved mentions and run the re-checks that are due (issue 18)."""
    from monitor.evidence.recheck import run

    return run().checked


@app.task(acks_late=True, time_limit=600, soft_time_limit=570)
def evidence_prune() -> int:
    """Delete poll captures that stored no mention once their retention has passed (issue 18)."""
    from monitor.core import db
    from monitor.core.models import utcnow
    from monitor.core.settings import get_settings
    from monitor.evidence.retention import prune_unmatched

    with db.session_scope() as session:
        return prune_unmatched(session, settings=get_settings(), now=utcnow())
