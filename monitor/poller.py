"""Polling sources: fetch → parse → match → dedupe → store → reschedule.

``poll_sources(ids)`` polls many sources concurrently in one event loop (async httpx),
each request passing the per-host gate. Fetching, parsing and matching run per source;
one writer stores what they found for many sources at a time (a few statements per
batch, not per item). It never raises for a bad source: the error is recorded on that
source, the next poll is scheduled with backoff, the others go on. ``poll_source(id)``,
``poll_many(ids)`` and ``poll_all_once()`` are its synchronous doors for Celery and the
command line; ``refresh_spikes()`` runs after polls, not inside each one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import select

from monitor import db, sources
from monitor.config import get_settings
from monitor.dedupe import canonical_url, fingerprint, global_identity
from monitor.fetch import FetchError, FetchResult, HostClients, fetch_async
from monitor.language import language_of
from monitor.matching import Matcher
from monitor.models import Source, utcnow
from monitor.politeness import gate_for
from monitor.schedule import mark_failure, mark_success
from monitor.metrics import record_polls
from monitor.sources.base import one_line
from monitor.store import NewMention, save_many

log = logging.getLogger(__name__)
WRITE_BATCH = 50
WRITE_ATTEMPTS = 8  # about a minute of retries in all: a database restart, a failover
WRITE_RETRY_BASE = 0.5
WRITE_RETRY_CAP = 15.0


@dataclass
class PollResult:
    source_id: int
    name: str
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    unmatched: int = 0
    not_modified: bool = False
    error: str | None = None
    url: str | None = None


@dataclass
class _Target:
    id: int
    name: str
    url: str
    kind: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    cursor: str | None


@dataclass
class _Outcome:
    """What one source's poll found, waiting for the writer."""

    result: PollResult
    mentions: list[NewMention] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body_hash: str | None = None
    cursor: str | None = None
    feed_hint: float | None = None
    error: Exception | None = None


def poll_source(source_id: int, *, now: datetime | None = None) -> PollResult:
    """Poll one source and store its new mentions; errors end up on the source row."""
    return poll_many([source_id], now=now)[0]


def poll_many(source_ids: list[int], *, now: datetime | None = None) -> list[PollResult]:
    """Poll these sources concurrently; one result per id, in order."""
    return asyncio.run(poll_sources(source_ids, now=now))


def poll_all_once(*, progress: bool = False) -> list[PollResult]:
    """Poll every enabled source once (``monitor poll --once``)."""
    from monitor.store import enabled_sources

    with db.session_scope() as session:
        ids = [s.id for s in enabled_sources(session)]
    with _Progress(progress, len(ids)) as advance:
        results = asyncio.run(poll_sources(ids, on_done=advance))
    if any(r.new for r in results):
        refresh_spikes()
    return results


async def poll_sources(source_ids: list[int], *, now: datetime | None = None, on_done=None) -> list[PollResult]:
    """The async core: per-host HTTP clients, one matcher, one gate and one writer for the batch."""
    settings = get_settings()
    now = now or utcnow()
    targets, matcher = await asyncio.to_thread(_load, source_ids)
    gate = gate_for(settings)
    running = asyncio.Semaphore(settings.poll_concurrency)
    found: asyncio.Queue[_Outcome | None] = asyncio.Queue()
    writer = asyncio.create_task(_write_all(found, now, on_done))

    async def one(target: _Target) -> PollResult:
        async with running:
            outcome = await _poll_one(clients, gate, target, matcher)
        await found.put(outcome)
        return outcome.result

    try:
        async with HostClients(settings, per_host=settings.host_concurrency) as clients:
            results = await asyncio.gather(*(one(t) for t in targets))
    finally:
        await found.put(None)
        await writer
        if hasattr(gate, "close"):
            await gate.close()
    by_id = {r.source_id: r for r in results}
    return [by_id.get(i) or PollResult(i, "?", error="no such source") for i in source_ids]


def _load(source_ids: list[int]) -> tuple[list[_Target], Matcher]:
    with db.session_scope() as session:
        rows = session.exec(select(Source).where(Source.id.in_(source_ids)))
        targets = [
            _Target(s.id, s.name or s.url, s.url, s.kind, s.etag, s.last_modified, s.body_hash, s.cursor)
            for s in rows
        ]
        return targets, Matcher.from_db(session)


async def _poll_one(clients: HostClients, gate, target: _Target, matcher: Matcher) -> _Outcome:
    outcome = _Outcome(PollResult(target.id, target.name, url=target.url))
    adapter = None
    try:
        adapter = sources.resolve_adapter(target.kind, target.url)
        response = await _fetch(clients, gate, target, adapter)
        outcome.headers = response.headers
        outcome.body_hash = target.body_hash if response.not_modified else hashlib.sha256(response.body).hexdigest()
        if response.not_modified or outcome.body_hash == target.body_hash:
            outcome.result.not_modified = True
        else:
            parsed = adapter.parse(response.body, response.headers, response.url)
            outcome.cursor, outcome.feed_hint = parsed.cursor, parsed.min_interval
            outcome.mentions = _matched(outcome.result, parsed.items, matcher)
    except (FetchError, sources.ParseError) as exc:
        outcome.error = exc
        outcome.result.error = adapter.explain(exc) if adapter and isinstance(exc, FetchError) else str(exc)
    return outcome


async def _fetch(clients: HostClients, gate, target: _Target, adapter: sources.Adapter) -> FetchResult:
    request = adapter.request(target.url, target.cursor, get_settings())
    host = urlsplit(request.url).hostname or ""
    etag, last_modified = (target.etag, target.last_modified) if adapter.conditional else (None, None)
    async with gate.slot(host):
        try:
            return await fetch_async(
                clients.for_url(request.url), request.url, etag=etag, last_modified=last_modified, headers=request.headers
            )
        except FetchError as exc:
            if exc.retry_after:
                await gate.pause(host, exc.retry_after)
            raise


def _matched(result: PollResult, items: list[sources.Item], matcher: Matcher) -> list[NewMention]:
    mentions = []
    for item in items:
        found = matcher.find(f"{item.title}\n{item.text}")
        if not found:
            result.unmatched += 1
            continue
        people: dict[str, str] = {}
        for match in found:
            people.setdefault(match.person, match.alias)
        mentions.append(_new_mention(item, people))
    result.fetched = len(items)
    return mentions


def _new_mention(item: sources.Item, people: dict[str, str]) -> NewMention:
    # Fingerprinting is CPU work: done here, in the fetch path, not in the writer's transaction.
    return NewMention(
        guid=item.guid, url=item.url, canonical_url=canonical_url(item.url), title=item.title,
        text=item.text, author=item.author, published_at=item.published_at, people=people,
        identity=global_identity(item.kind, item.platform_id), reposted_by=item.reposted_by,
        language=language_of(item.lang, item.title, item.text), fingerprint=fingerprint(item.title, item.text),
    )


async def _write_all(found: asyncio.Queue, now: datetime, on_done) -> None:
    """Drain outcomes in batches until the sentinel; each batch is one transaction."""
    finished = False
    while not finished:
        batch = [await found.get()]
        while not found.empty() and len(batch) < WRITE_BATCH:
            batch.append(found.get_nowait())
        finished = None in batch
        outcomes = [o for o in batch if o is not None]
        if outcomes:
            await asyncio.to_thread(_write, outcomes, now)
            for outcome in outcomes:
                _log(outcome.result)
                if on_done:
                    on_done(outcome.result.name)


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
                "writing a batch failed, retrying: %s", one_line(exc),
                extra={"attempt": attempt, "sources": [o.result.source_id for o in outcomes]},
            )
            time.sleep(min(WRITE_RETRY_CAP, WRITE_RETRY_BASE * 2 ** (attempt - 1)))


def _write_once(outcomes: list[_Outcome], now: datetime) -> None:
    with db.session_scope() as session:
        new_ids = save_many(session, batches=[(o.result.source_id, o.mentions) for o in outcomes], now=now)
        rows = {s.id: s for s in session.exec(select(Source).where(Source.id.in_([o.result.source_id for o in outcomes])))}
        for outcome in outcomes:
            result, source = outcome.result, rows[outcome.result.source_id]
            result.new = len(new_ids.get(result.source_id, []))
            result.duplicate = len(outcome.mentions) - result.new
            if outcome.error is not None:
                mark_failure(source, exc=outcome.error, now=now, message=result.error)
            else:
                mark_success(
                    source, headers=outcome.headers, body_hash=outcome.body_hash, result=result, now=now,
                    cursor=outcome.cursor, feed_hint=outcome.feed_hint,
                )
        record_polls(session, results=[o.result for o in outcomes])


def _log(result: PollResult) -> None:
    log.info(
        "polled source id=%s new=%s duplicate=%s error=%s", result.source_id, result.new, result.duplicate, result.error,
        extra={
            "source_id": result.source_id, "url": result.url, "fetched": result.fetched, "new": result.new,
            "duplicate": result.duplicate, "error": result.error,
        },
    )


def refresh_spikes(now: datetime | None = None) -> list[int]:
    """Recompute spikes from the stored mentions and alert on new ones; the new spike ids.

    Not part of a poll: it covers every person, so the worker task runs it at most once per
    ``MONITOR_SPIKE_REFRESH_SECONDS`` however many batches are polled. Spikes are derived
    from stored mentions and recomputed on the next refresh, so a failure is logged, not raised.
    """
    from monitor.alerts import retry_failed_alerts, send_spike_alerts
    from monitor.spikes import update_spikes

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


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self._bar = None
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._task = self._bar.add_task("polling", total=total)

    def __enter__(self):
        if self._bar:
            self._bar.start()
        return self._advance

    def _advance(self, name: str) -> None:
        if self._bar:
            self._bar.update(self._task, advance=1, description=f"polled {name[:40]}")

    def __exit__(self, *exc):
        if self._bar:
            self._bar.stop()


def print_summary(results: list[PollResult]) -> None:
    """One line per source (fetched, new, duplicate, failed) and a total line."""
    for r in results:
        state = f"failed: {r.error}" if r.error else ("not modified" if r.not_modified else "ok")
        print(f"{r.name}: fetched {r.fetched}, new {r.new}, duplicate {r.duplicate}, {state}")
    failed = sum(1 for r in results if r.error)
    print(
        f"total: {len(results)} sources, fetched {sum(r.fetched for r in results)}, "
        f"new {sum(r.new for r in results)}, duplicate {sum(r.duplicate for r in results)}, failed {failed}"
    )
