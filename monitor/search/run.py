"""Orchestration of the search providers: plan, search, match, store, record.

For each enabled provider (``[search.NAME] enabled = true``) not paused: the targets to
search (every searchable person with ``everyone=True``, else those the budget plan says are
due), each target's requests sent through the guarded client at the provider's pace, the
responses parsed, GDELT's articles fetched and their text added, every item matched like a
polled one (``poller._matched``) and stored through the poll writer (``write_isolated``)
on the provider's source row, so a URL two providers return is stored once. Each response
that yielded a matched item is kept as evidence in that write (``Received``, linked to the
mentions it stored, credentials replaced by a marker). A ``private`` person is never a target. Logs carry provider names and counts, never a name or a query.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.core import db
from monitor.core.config_search import SearchEntry
from monitor.core.models import utcnow
from monitor.core.settings import Settings, get_settings
from monitor.core.storage import search as state
from monitor.core.storage.matcher_cache import matcher_for
from monitor.core.storage.received import Received
from monitor.ingest.fetch import FetchError, FetchResult, fetch_async
from monitor.ingest.politeness import gate_for
from monitor.ingest.poll_writer import infrastructure_errors, write_isolated
from monitor.ingest.poller import PollResult, _matched, _Outcome
from monitor.search.client import clients_for
from monitor.sources.base import Item
from monitor.sources.search import plan as planner
from monitor.sources.search.base import Page, SearchError, SearchRequest, Target, cursors, dump_cursors
from monitor.sources.search.providers import MODULES, cost, per_minute, requests_for
from monitor.sources.text import html_to_text

log = logging.getLogger(__name__)
MAX_GAP_SECONDS = 5.0  # the pace is the budget's, but never slower than GDELT's one request per 5 s within a run
LEASE = timedelta(seconds=300)  # the task's time limit: a killed run's claim lapses with it
MAX_ARTICLES = 10  # GDELT articles fetched per search; the rest are matched by title
ARTICLE_TEXT_CHARS = 20_000
_URL = re.compile(r"\b\w+://\S+")


@dataclass
class ProviderSummary:
    """What one provider's run did, for the command's summary and the task's log."""

    name: str
    searched: int = 0
    fetched: int = 0
    matched: int = 0
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    error: str | None = None


@dataclass
class _Context:
    """What a provider's run reads before it starts (one transaction)."""

    source_id: int
    targets: list[Target]
    cursors: dict[str, str | None]
    paused: str | None
    matcher: object
    due: set[str] | None = None
    per_target: dict[str, tuple[int, str | None, str | None]] = field(default_factory=dict)  # results, cursor, error
    received: list[tuple[Received, set[str]]] = field(default_factory=list)  # each response, its items' guids


def run_searches(
    search: dict[str, SearchEntry], *, everyone: bool = False, now: datetime | None = None
) -> list[ProviderSummary]:
    """Run every enabled provider once: everyone (``monitor search run --once``) or the due targets."""
    enabled = {name: entry for name, entry in search.items() if entry.enabled}
    if not enabled:
        return []
    return asyncio.run(_run_all(enabled, everyone=everyone, now=now or utcnow()))


async def _run_all(enabled: dict[str, SearchEntry], *, everyone: bool, now: datetime) -> list[ProviderSummary]:
    settings = get_settings()
    gate = gate_for(settings)
    try:
        return list(
            await asyncio.gather(
                *(
                    _run_provider(name, entry, settings=settings, gate=gate, everyone=everyone, now=now)
                    for name, entry in enabled.items()
                )
            )
        )
    finally:
        if hasattr(gate, "close"):
            await gate.close()


async def _run_provider(
    name: str, entry: SearchEntry, *, settings: Settings, gate, everyone: bool, now: datetime
) -> ProviderSummary:
    summary = ProviderSummary(name)
    context = await asyncio.to_thread(_load, name, entry, everyone, now)
    if context.paused:
        summary.error = context.paused
        return summary
    try:
        failure, items_by_target = await _search_targets(
            name, entry, context, summary, settings=settings, gate=gate, now=now
        )
    except infrastructure_errors():
        raise
    except Exception as exc:  # noqa: BLE001 - a bug, or a proxy the client cannot use: this provider's error, not the run's
        failure = SearchError(f"{name}: internal error: {type(exc).__name__}")
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        log.warning(
            "a search provider raised %s at %s:%s",
            type(exc).__name__,
            frame.filename.rsplit("/", 1)[-1],
            frame.lineno,
            extra={"provider": name},
        )
        items_by_target, context.per_target = [], {}
    await asyncio.to_thread(_store, name, context, items_by_target, failure, summary, now)
    _log(summary)
    return summary


async def _search_targets(
    name: str,
    entry: SearchEntry,
    context: _Context,
    summary: ProviderSummary,
    *,
    settings: Settings,
    gate,
    now: datetime,
):
    """Every due target's search at the provider's pace; stops at throttling or refused credentials."""
    failure: SearchError | None = None
    items_by_target: list[tuple[Target, list[Item]]] = []
    async with clients_for(entry.proxy, settings) as clients:
        search = functools.partial(
            _search, name, entry, clients=clients, gate=gate, settings=settings, now=now, received=context.received
        )
        for target in context.targets:
            if (context.due is not None and target.subject not in context.due) or not cost(name, target, entry):
                continue
            if context.per_target:  # not before the first search
                await asyncio.sleep(_gap(name, entry))
            try:
                items, cursor = await search(target, context.cursors.get(target.subject))
            except SearchError as exc:
                if exc.throttled or exc.auth:
                    failure = exc
                    break
                context.per_target[target.subject] = (0, None, str(exc))
                summary.failed += 1
                continue
            items_by_target.append((target, items))
            context.per_target[target.subject] = (0, cursor, None)
    return failure, items_by_target


def _load(name: str, entry: SearchEntry, everyone: bool, now: datetime) -> _Context:
    with db.session_scope() as session:
        source_id = state.provider_sources(session, names=[name])[name]
        pause = state.provider_pause(session, provider=name)
        paused = None
        if pause and pause.backoff_until and pause.backoff_until > now:
            paused = f"paused until {pause.backoff_until:%Y-%m-%d %H:%M} UTC after: {pause.last_error}"
        elif not state.claim_provider(session, provider=name, now=utcnow(), until=utcnow() + LEASE):
            paused = "another run is searching this provider now"
        session.expire_all()
        pause = state.provider_pause(session, provider=name)
        targets = state.searchable_people(session)
        if name == "vk":
            targets += [Target(f"community:{c}", community=c) for c in entry.communities]
        rows = state.states(session, provider=name)
        context = _Context(source_id, targets, {s: r.cursor for s, r in rows.items()}, paused, matcher_for(session))
        if not everyone:
            spent = pause.last_run_at if pause else None
            window = (now - spent).total_seconds() if spent else float("inf")
            context.due = _due(name, entry, targets, rows, state.last_active(session), now, window)
        return context


def _due(
    name: str, entry: SearchEntry, targets: list[Target], rows: dict, active: dict, now: datetime, window: float
) -> set[str]:
    candidates = [
        planner.Candidate(
            t.subject,
            cost(name, t, entry),
            active.get(t.person_id),
            rows[t.subject].last_search_at if t.subject in rows else None,
            rows[t.subject].backoff_until if t.subject in rows else None,
        )
        for t in targets
    ]
    plan = planner.plan_provider(
        name, candidates, budget_per_minute=per_minute(name, entry), now=now, window_seconds=window
    )
    return set(plan.due)


def _gap(name: str, entry: SearchEntry) -> float:
    """Seconds between two searches of a provider within a run: its budget's pace, capped."""
    return min(MAX_GAP_SECONDS, 60.0 / per_minute(name, entry))


async def _search(
    name: str, entry: SearchEntry, target: Target, cursor: str | None, *, clients, gate, settings, now, received
):
    """One target's requests, in order; the items found and the target's next cursor. Each
    response is appended to ``received`` with its items' guids (kept if one is matched)."""
    slots = cursors(cursor)
    found: list[Item] = []
    for request in requests_for(name, target, slots, entry=entry, settings=settings, now=now):
        response = await _get(name, request, clients=clients, gate=gate, settings=settings)
        page = MODULES[name].parse(response.body, request)
        if page.items:
            received.append((_received(name, response), {item.guid for item in page.items}))
        if page.titles_only:
            await _add_article_text(page, clients=clients, gate=gate, settings=settings)
        found.extend(page.items)
        moved = page.cursor or request.advance
        if moved:
            slots[request.key] = moved
    return found, dump_cursors(slots)


def _received(name: str, response: FetchResult) -> Received:
    return Received.response("search", name, response, utcnow())


async def _get(name: str, request: SearchRequest, *, clients, gate, settings) -> FetchResult:
    """One provider request through the guarded client (the response); ``SearchError`` otherwise.

    A request with ``auth`` (Bluesky's login) gets fresh credentials once when the answer says
    its token expired, as the poller does.
    """
    guarded = functools.partial(fetch_async, clients, gate=gate, settings=settings)
    try:
        if request.auth is None:
            return await guarded(request.url, headers=request.headers)
        try:
            return await guarded(request.url, headers={**request.headers, **await request.auth.headers(guarded)})
        except FetchError as exc:
            if not request.auth.expired(exc):
                raise
        return await guarded(request.url, headers={**request.headers, **await request.auth.refresh(guarded)})
    except FetchError as exc:
        raise _search_error(name, exc) from None


def _search_error(name: str, exc: FetchError) -> SearchError:
    """A failed request as a one-line error without its URL (the query names a person)."""
    status = exc.status
    if status == 429:
        return SearchError(f"{name}: throttled (HTTP 429)", throttled=True)
    if status in (401, 403):
        return SearchError(f"{name}: refused our credentials or quota (HTTP {status})", auth=True)
    what = f"HTTP {status}" if status else _URL.sub("<url>", str(exc))[:200]
    return SearchError(f"{name}: request failed: {what}")


async def _add_article_text(page: Page, *, clients, gate, settings) -> None:
    """Fetch each article (up to ``MAX_ARTICLES``) and keep its visible text; a failed fetch keeps the title alone."""

    async def one(item: Item) -> None:
        try:
            result = await fetch_async(
                clients, item.url, gate=gate, settings=settings, headers={"Accept": "text/html, */*;q=0.5"}
            )
        except FetchError:
            return
        item.text = html_to_text(result.body[: settings.fetch_max_bytes].decode("utf-8", "replace"))[
            :ARTICLE_TEXT_CHARS
        ]

    await asyncio.gather(*(one(item) for item in page.items[:MAX_ARTICLES]))


def _store(
    name: str,
    context: _Context,
    found: list[tuple[Target, list[Item]]],
    failure: SearchError | None,
    summary: ProviderSummary,
    now: datetime,
) -> None:
    """Match and store every item on the provider's source (one poll-writer batch), then the targets' state."""
    outcome = _Outcome(PollResult(context.source_id, f"{name} search", url=f"search:{name}"))
    for target, items in found:
        mentions = _matched(PollResult(context.source_id, name), items, context.matcher)
        _, cursor, _ = context.per_target[target.subject]
        context.per_target[target.subject] = (len(mentions), cursor, None)
        outcome.mentions.extend(mentions)
        summary.fetched += len(items)
        summary.matched += len(mentions)
    summary.searched = len(found)
    outcome.result.fetched = summary.fetched
    outcome.received = _yielded(context.received, outcome.mentions)
    if failure is not None:
        outcome.error, outcome.result.error, summary.error = failure, str(failure), str(failure)
    write_isolated([outcome], now)
    summary.new, summary.duplicate = outcome.result.new, outcome.result.duplicate
    _record(name, context, failure, now, spent=bool(context.per_target))


def _yielded(received: list[tuple[Received, set[str]]], mentions: list) -> list[Received]:
    """Each response with the matched mentions among its items; those without one are not kept."""
    by_guid: dict[str, list] = {}
    for mention in mentions:
        by_guid.setdefault(mention.guid, []).append(mention)
    for response, guids in received:
        response.mentions = [m for guid in sorted(guids) for m in by_guid.get(guid, [])]
    return [response for response, _ in received if response.mentions]


def _record(name: str, context: _Context, failure: SearchError | None, now: datetime, *, spent: bool) -> None:
    by_subject = {t.subject: t for t in context.targets}
    with db.session_scope() as session:
        for subject, (results, cursor, error) in context.per_target.items():
            state.record_search(
                session, provider=name, target=by_subject[subject], now=now, cursor=cursor, results=results, error=error
            )
        state.record_provider(
            session,
            provider=name,
            now=now,
            error=str(failure) if failure else None,
            auth=bool(failure and failure.auth),
            pause=not (failure and failure.unsent),
            spent=spent,
        )


def _log(summary: ProviderSummary) -> None:
    log.info(
        "searched provider %s: %s searches, %s new, %s failed",
        summary.name,
        summary.searched,
        summary.new,
        summary.failed,
        extra={
            "provider": summary.name,
            "searched": summary.searched,
            "fetched": summary.fetched,
            "new": summary.new,
            "duplicate": summary.duplicate,
            "failed": summary.failed,
            "error": summary.error,
        },
    )
