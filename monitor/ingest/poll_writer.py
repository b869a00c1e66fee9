"""The poll's writer: outcomes of many sources stored a batch at a time, each batch one transaction.

``write_all`` drains the poller's queue. A batch the database refuses for its data (not for
being away) is written again source by source, and a source whose items still cannot be
stored records that as its error; a database that is away is retried with backoff, then
raised so the Celery task is retried whole (``infrastructure_errors``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Source
from monitor.core.settings import get_settings
from monitor.core.storage import save_many
from monitor.core.storage.captures import capture_polls
from monitor.core.storage.received import capture_received
from monitor.ingest.metrics import record_polls
from monitor.ingest.schedule import mark_failure, mark_success
from monitor.sources.base import one_line

if TYPE_CHECKING:
    from monitor.ingest.poller import PollResult, _Outcome

log = logging.getLogger("monitor.ingest.poller")  # one logger for the poll's lines, as before the split
WRITE_BATCH = 50
WRITE_ATTEMPTS = 8  # about a minute of retries in all: a database restart, a failover
WRITE_RETRY_BASE = 0.5
WRITE_RETRY_CAP = 15.0


def infrastructure_errors() -> tuple[type[Exception], ...]:
    """The database or Redis away: the whole batch is retried, not blamed on one source."""
    errors: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)
    try:
        import redis
    except ImportError:  # the embedded default needs no Redis client
        return errors
    return errors + (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


async def write_all(found: asyncio.Queue, now: datetime, on_done, pending: set[int]) -> None:
    """Drain outcomes in batches until the sentinel; each batch is one transaction.

    Written sources leave ``pending`` (their lease is no longer renewed).
    """
    finished = False
    while not finished:
        batch = [await found.get()]
        while not found.empty() and len(batch) < WRITE_BATCH:
            batch.append(found.get_nowait())
        finished = None in batch
        outcomes = [o for o in batch if o is not None]
        if outcomes:
            await asyncio.to_thread(write_isolated, outcomes, now)
            for outcome in outcomes:
                pending.discard(outcome.result.source_id)
                _log(outcome.result)
                if on_done:
                    on_done(outcome.result.name)


def write_isolated(outcomes: list[_Outcome], now: datetime) -> None:
    """``_write``, and when a batch fails for its data (not the database being away), each
    source alone: a source whose items still cannot be stored records that as its error."""
    try:
        return _write(outcomes, now)
    except infrastructure_errors():
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. DataError: one source's text PostgreSQL refuses
        if len(outcomes) > 1:
            for outcome in outcomes:
                write_isolated([outcome], now)
            return
        try:
            _record_unstorable(outcomes[0], exc, now)
        except infrastructure_errors():
            raise
        except Exception as again:  # noqa: BLE001 - not even the error can be stored: the lease lapses, it is retried
            log.error(
                "recording a source's failure failed: %s",
                type(again).__name__,
                extra={"source_id": outcomes[0].result.source_id},
            )


def _record_unstorable(outcome: _Outcome, exc: Exception, now: datetime) -> None:
    # The database's message may quote the data (a watched name): only the error type is kept.
    log.warning("storing a source's poll failed: %s", type(exc).__name__, extra={"source_id": outcome.result.source_id})
    outcome.result.skipped += len(outcome.mentions)
    outcome.mentions, outcome.error = [], exc
    outcome.result.error = f"could not store this poll's items ({type(exc).__name__}); retried with backoff"
    _write([outcome], now)


def _write(outcomes: list[_Outcome], now: datetime) -> None:
    """Store one batch in one transaction, retried when the database is briefly away.

    The items are in memory and every write is idempotent, so retrying the whole batch
    after a lost connection or a deadlock stores each mention exactly once.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return _write_once(outcomes, now)
        except sa.exc.OperationalError as exc:
            if attempt == WRITE_ATTEMPTS:
                raise
            log.warning(
                "writing a batch failed, retrying: %s",
                one_line(exc),
                extra={"attempt": attempt, "sources": [o.result.source_id for o in outcomes]},
            )
            time.sleep(min(WRITE_RETRY_CAP, WRITE_RETRY_BASE * 2 ** (attempt - 1)))


def _write_once(outcomes: list[_Outcome], now: datetime) -> None:
    with db.session_scope() as session:
        new_ids = save_many(session, batches=[(o.result.source_id, o.mentions) for o in outcomes], now=now)
        rows = {
            s.id: s for s in session.exec(select(Source).where(Source.id.in_([o.result.source_id for o in outcomes])))
        }
        for outcome in outcomes:
            result, source = outcome.result, rows[outcome.result.source_id]
            result.new = len(new_ids.get(result.source_id, []))
            result.duplicate = len(outcome.mentions) - result.new
            if outcome.error is not None:
                mark_failure(source, exc=outcome.error, now=now, message=result.error)
            else:
                source.detected_kind = outcome.detected or source.detected_kind  # shown for kind "auto"
                mark_success(
                    source,
                    headers=outcome.headers,
                    body_hash=outcome.body_hash,
                    result=result,
                    now=now,
                    cursor=outcome.cursor,
                    feed_hint=outcome.feed_hint,
                )
        record_polls(session, results=[o.result for o in outcomes])
        # Issue 18: the responses kept as WARC records, preserved people's mentions queued. Last,
        # because the captures' custody events hold the chain's lock until this commits.
        capture_polls(session, settings=get_settings(), outcomes=outcomes, new_ids=new_ids, now=now)
        for outcome in outcomes:
            if outcome.received:  # a search provider's responses (monitor.search.run)
                capture_received(session, received=outcome.received, new_ids=new_ids.get(outcome.result.source_id, []))


def _log(result: PollResult) -> None:
    log.info(
        "polled source id=%s new=%s duplicate=%s error=%s",
        result.source_id,
        result.new,
        result.duplicate,
        result.error,
        extra={
            "source_id": result.source_id,
            "url": result.url,
            "fetched": result.fetched,
            "new": result.new,
            "duplicate": result.duplicate,
            "error": result.error,
        },
    )
