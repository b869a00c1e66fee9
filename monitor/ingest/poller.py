"""Polling sources: fetch → parse → match → dedupe → store → reschedule.

``poll_sources(ids)`` polls many sources concurrently in one event loop (async httpx),
each request passing the per-host gate. Fetching, parsing and matching run per source;
one writer stores what they found for many sources at a time (a few statements per
batch, not per item). It never raises for a bad source or a bad item: an entry that cannot
be read or matched is skipped and counted (``PollResult.skipped``); any exception in one
source's fetch, parse or write is recorded on that source, its next poll is scheduled with
backoff, and the others go on. Only the infrastructure being away (the database, Redis)
stops the batch, so that the Celery task is retried whole. While a claimed batch runs, a
heartbeat renews its sources' lease (``lease_seconds``) so a dead worker's sources come back soon. ``poll_source(id)``,
``poll_many(ids)`` and ``poll_enabled_once()`` are its synchronous doors for Celery and the
command line; ``refresh_spikes()`` runs after polls, not inside each one. Given ``children``
(``monitor poll --once``), the bodies are parsed and matched in a child process
(``monitor.ingest.parse_process``) while this one fetches and writes; the stored result is the same.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import select

from monitor import sources
from monitor.core import db
from monitor.core.models import Source, utcnow
from monitor.core.settings import get_settings
from monitor.core.storage import NewMention, renew_leases
from monitor.core.storage.captures import prepare as prepare_capture
from monitor.core.storage.matcher_cache import matcher_for
from monitor.ingest import language, parse_process
from monitor.ingest.fetch import FetchError, FetchResult, HostClients, fetch_async
from monitor.ingest.findings import Findings, MatcherFailed, match_items, summarise
from monitor.ingest.parse_process import ParseProcess
from monitor.ingest.politeness import gate_for
from monitor.ingest.poll_report import _Progress
from monitor.ingest.poll_writer import infrastructure_errors, write_all
from monitor.matching import Matcher
from monitor.sources.base import one_line

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    source_id: int
    name: str
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    unmatched: int = 0
    skipped: int = 0  # entries that could not be read, matched or stored
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
    demo: bool = False  # a bundled demo feed on loopback (Source.demo)
    proxy: str | None = None  # Source.proxy: None follows MONITOR_PROXY_URL, "none" is direct
    history: int | None = None  # Source.history: Telegram posts read back on the first poll


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
    detected: str | None = None  # what a source of kind "auto" turned out to be (monitor.sources.sniff)
    response: FetchResult | None = None  # a changed body, kept as evidence (monitor.core.storage.captures)
    prepared: object = None  # its records already in the evidence store (monitor.core.storage.captures.Prepared)
    adapter: str = ""
    received: list = field(default_factory=list)  # search responses that yielded mentions (core.storage.received)


def poll_source(source_id: int, *, now: datetime | None = None) -> PollResult:
    """Poll one source and store its new mentions; errors end up on the source row."""
    return poll_many([source_id], now=now)[0]


def poll_many(
    source_ids: list[int], *, now: datetime | None = None, lease_seconds: float | None = None
) -> list[PollResult]:
    """Poll these sources concurrently; one result per id, in order (``lease_seconds``: see ``poll_sources``)."""
    return asyncio.run(poll_sources(source_ids, now=now, lease_seconds=lease_seconds))


def poll_enabled_once(*, progress: bool = False, children: ParseProcess | None = None) -> list[PollResult]:
    """Poll every enabled source once (``monitor poll --once``; the spike refresh is the caller's)."""
    from monitor.core.storage import enabled_sources

    with db.session_scope() as session:
        ids = [s.id for s in enabled_sources(session)]
    with _Progress(progress, len(ids)) as advance:
        return asyncio.run(poll_sources(ids, on_done=advance, children=children))


async def poll_sources(
    source_ids: list[int],
    *,
    now: datetime | None = None,
    on_done=None,
    lease_seconds: float | None = None,
    children: ParseProcess | None = None,
) -> list[PollResult]:
    """The async core: per-host HTTP clients, one matcher, one gate and one writer for the batch.

    With ``lease_seconds`` (a batch of claimed sources), the lease of every source not yet
    written is renewed every third of it until the batch ends. Given ``children``, where this
    process may have them (``parse_process.allowed``), bodies are parsed and matched there;
    otherwise here. They are closed when the batch ends.
    """
    settings = get_settings()
    now = now or utcnow()
    targets = await asyncio.to_thread(_load, source_ids)
    reading = _Reading(settings, children)
    gate = gate_for(settings)
    found: asyncio.Queue[_Outcome | None] = asyncio.Queue()
    pending = {t.id for t in targets}
    writer = asyncio.create_task(write_all(found, now, on_done, pending))
    heartbeat = asyncio.create_task(_renew_while_running(pending, lease_seconds)) if lease_seconds else None

    async def one(target: _Target) -> PollResult:
        outcome = await _poll_one(clients, gate, target, reading)
        await found.put(outcome)
        return outcome.result

    try:
        async with HostClients(settings, per_host=settings.host_concurrency) as clients:
            results = await asyncio.gather(*(one(t) for t in by_turns(targets)))
    finally:
        await found.put(None)
        await writer
        await reading.close()
        if heartbeat:
            heartbeat.cancel()
        if hasattr(gate, "close"):
            await gate.close()
    by_id = {r.source_id: r for r in results}
    return [by_id.get(i) or PollResult(i, "?", error="no such source") for i in source_ids]


def _load(source_ids: list[int]) -> list[_Target]:
    with db.session_scope() as session:
        rows = session.exec(select(Source).where(Source.id.in_(source_ids)))
        return [
            _Target(
                s.id,
                s.name or s.url,
                s.url,
                s.kind,
                s.etag,
                s.last_modified,
                s.body_hash,
                s.cursor,
                s.demo,
                s.proxy,
                s.history,
            )
            for s in rows
        ]


def by_turns(targets: list[_Target]) -> list[_Target]:
    """The targets with their hosts taking turns (first of each host, then the second, …), in
    order within a host. A slot of ``poll_concurrency`` is held while its request waits for
    the host's gap: sources of one site listed together would fill every slot with waits on
    that site (32 of them, a second apart by default) while other sites sat idle."""
    turns: dict[str, int] = {}
    keyed = []
    for index, target in enumerate(targets):
        host = _host(target.url)
        keyed.append((turns.get(host, 0), index, target))
        turns[host] = turns.get(host, 0) + 1
    return [target for _, _, target in sorted(keyed, key=lambda k: k[:2])]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # a URL the fetch will refuse and record; here it only takes its turn
        return ""


class _LazyMatcher:
    """The watch list's matcher, loaded once, when the first changed body needs matching.

    An unchanged cycle (every feed 304 or the same body) then never decodes it: 0.7 s of a
    1,000-person list, a quarter of such a cycle on SQLite (issue 15)."""

    def __init__(self) -> None:
        self._loading: asyncio.Future[Matcher] | None = None

    async def get(self) -> Matcher:
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(_load_matcher))
        try:
            return await asyncio.shield(self._loading)
        except infrastructure_errors():
            raise
        except Exception as exc:
            raise MatcherFailed(f"loading the watch list failed: {type(exc).__name__}") from exc


class _Reading:
    """Where a batch's bodies are parsed and matched: here, or in a child process.

    ``fetching`` holds ``poll_concurrency`` slots. A body read here keeps its slot while it is
    parsed, as it always did; one sent to the child gives it up (the child bounds the bodies
    waiting for it), so the fetches go on while the child starts or is busy."""

    def __init__(self, settings, children: ParseProcess | None):
        self.fetching = asyncio.Semaphore(settings.poll_concurrency)
        self.matcher = _LazyMatcher()
        self.child = children if children is not None and parse_process.allowed() else None

    def elsewhere(self, adapter: sources.Adapter) -> bool:
        """Whether this adapter's bodies go to the child (Telegram's history fetches more pages: never)."""
        return self.child is not None and adapter.kind != "telegram"

    async def close(self) -> None:
        if self.child is not None:
            await self.child.close()


def _load_matcher() -> Matcher:
    language.warm()  # needed right after matching; loaded here, off the event loop
    with db.session_scope() as session:
        return matcher_for(session)


async def _renew_while_running(pending: set[int], lease_seconds: float) -> None:
    """Every third of the lease, extend the lease of the sources this batch has not written yet."""
    while True:
        await asyncio.sleep(lease_seconds / 3)
        ids = sorted(pending)
        if not ids:
            continue
        try:
            await asyncio.to_thread(_renew, ids, lease_seconds)
        except Exception as exc:  # noqa: BLE001 - a missed renewal only lets the lease lapse early
            log.warning("renewing the poll lease failed: %s", one_line(exc), extra={"sources": len(ids)})


def _renew(ids: list[int], lease_seconds: float) -> None:
    with db.session_scope() as session:
        renew_leases(session, source_ids=ids, until=utcnow() + timedelta(seconds=lease_seconds))


async def _poll_one(clients: HostClients, gate, target: _Target, reading: _Reading) -> _Outcome:
    """One source's fetch, parse and match; any failure but the infrastructure's ends on the outcome."""
    outcome = _Outcome(PollResult(target.id, target.name, url=target.url))
    try:
        await _fetch_and_match(outcome, clients, gate, target, reading)
    except (*infrastructure_errors(), MatcherFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - a bug or a surprise in one source must not stop the batch
        outcome.error = exc
        outcome.result.error = f"internal error while polling: {type(exc).__name__}: {one_line(exc, 200)}"
        outcome.mentions = []
        # Where it was raised, not the message or traceback text: those may quote a feed's text.
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        log.warning(
            "polling a source raised %s at %s:%s",
            type(exc).__name__,
            frame.filename.rsplit("/", 1)[-1],
            frame.lineno,
            extra={"source_id": target.id},
        )
    return outcome


async def _fetch_and_match(outcome: _Outcome, clients: HostClients, gate, target: _Target, reading: _Reading) -> None:
    adapter = None
    try:
        adapter = sources.resolve_adapter(target.kind, target.url)
        async with reading.fetching:
            response = await _fetch(clients, gate, target, adapter)
            outcome.headers = response.headers
            outcome.body_hash = target.body_hash if response.not_modified else hashlib.sha256(response.body).hexdigest()
            outcome.result.not_modified = response.not_modified or outcome.body_hash == target.body_hash
            if outcome.result.not_modified:
                return
            if not reading.elsewhere(adapter):
                found = await _read_here(response, clients, gate, target, adapter, reading.matcher)
                return await _take(outcome, found, response, adapter, target)
        found = await reading.child.read(adapter, response.body, response.headers, response.url, target.kind)
        await _take(outcome, found, response, adapter, target)
    except (FetchError, sources.ParseError) as exc:
        outcome.error = exc
        outcome.result.error = adapter.explain(exc) if adapter and isinstance(exc, FetchError) else str(exc)


async def _read_here(response: FetchResult, clients, gate, target: _Target, adapter, matcher: _LazyMatcher) -> Findings:
    """Parse and match ``response`` in this process (Telegram's older pages fetched on the way)."""
    parsed = adapter.parse(response.body, response.headers, response.url)
    if adapter.kind == "telegram":  # issue 16: older pages on the first poll, or across a gap
        parsed = await _telegram_history(parsed, response, clients, gate, target, adapter)
    return summarise(parsed, response.body, kind=target.kind, adapter_kind=adapter.kind, matcher=await matcher.get())


async def _take(outcome: _Outcome, found: Findings, response: FetchResult, adapter, target: _Target) -> None:
    """The findings on the outcome, its response prepared as evidence, its skipped entries logged."""
    outcome.detected, outcome.cursor, outcome.feed_hint = found.detected, found.cursor, found.feed_hint
    outcome.mentions = found.mentions
    result = outcome.result
    result.fetched, result.unmatched, result.skipped = found.fetched, found.unmatched, result.skipped + found.skipped
    outcome.response, outcome.adapter = response, adapter.kind
    await prepare_capture(outcome, get_settings())  # issue 18: its WARC records, written beside the fetches
    _log_skipped(target, found)


async def _fetch(clients: HostClients, gate, target: _Target, adapter: sources.Adapter) -> FetchResult:
    """The adapter's request through the one guarded client; the gate is taken per hop, after the address check.

    A request with ``auth`` (a login) gets its credentials through that same client, and
    fresh ones once when the answer says they expired.
    """
    settings = get_settings()
    request = adapter.request(target.url, target.cursor, settings)
    etag, last_modified = (target.etag, target.last_modified) if adapter.conditional else (None, None)
    if target.demo:
        # Only ``monitor up --demo`` marks a source so: its own feed server on 127.0.0.1, which
        # `monitor poll --once` must reach without opening loopback to every source.
        settings = settings.model_copy(update={"allow_private_networks": True})
    guarded = functools.partial(fetch_async, clients, gate=gate, settings=settings, proxy=target.proxy)
    conditional = {"etag": etag, "last_modified": last_modified}
    if request.auth is None:
        return await guarded(request.url, headers=request.headers, **conditional)
    credentials = await request.auth.headers(guarded)
    try:
        return await guarded(request.url, headers={**request.headers, **credentials}, **conditional)
    except FetchError as exc:
        if not request.auth.expired(exc):
            raise
    credentials = await request.auth.refresh(guarded)
    return await guarded(request.url, headers={**request.headers, **credentials}, **conditional)


async def _telegram_history(parsed, response: FetchResult, clients, gate, target: _Target, adapter) -> sources.Parsed:
    """The channel's older pages this poll reads (``monitor.ingest.telegram_history``), one by one through the gate."""
    from monitor.core.storage.source_options import history_depth
    from monitor.ingest import telegram_history

    settings = get_settings()
    if target.demo:
        settings = settings.model_copy(update={"allow_private_networks": True})

    async def fetch_page(url: str) -> bytes:
        return (await fetch_async(clients, url, gate=gate, settings=settings, proxy=target.proxy)).body

    return await telegram_history.extend(
        parsed,
        response.body,
        response.url,
        parse=lambda body, url: adapter.parse(body, {}, url),
        fetch_page=fetch_page,
        cursor=target.cursor,
        depth=history_depth(target.history),
        source_id=target.id,
    )


def _log_skipped(target: _Target, found: Findings) -> None:
    unreadable = found.skipped - len(found.failures)
    if unreadable:
        log.warning(
            "skipped %s unreadable entries: %s",
            unreadable,
            found.unreadable,
            extra={"source_id": target.id, "skipped": unreadable},
        )
    _log_failures(target.id, found.failures)


def _log_failures(source_id: int, failures: list[str]) -> None:
    if failures:  # the error types only: an entry's text may name a watched person
        log.warning(
            "skipped %s entries that could not be matched: %s",
            len(failures),
            sorted(set(failures)),
            extra={"source_id": source_id, "skipped": len(failures)},
        )


def _matched(result: PollResult, items: list[sources.Item], matcher: Matcher) -> list[NewMention]:
    """The matched items as mentions; an item that fails to match or normalise is skipped and counted."""
    mentions, unmatched, failures = match_items(items, matcher)
    result.fetched, result.unmatched = len(items), result.unmatched + unmatched
    result.skipped += len(failures)
    _log_failures(result.source_id, failures)
    return mentions
