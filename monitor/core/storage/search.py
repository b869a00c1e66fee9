"""Storage of the search providers: their source rows, the people to search, each target's state.

One ``Source`` row per provider (``url = "search:NAME"``, ``origin = "search"``) holds its
results, so exports, review and spikes see them like any polled item. It is kept
``enabled = False``: the poller never polls it, and config syncs leave it alone; the
search runner alone writes to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from monitor.core.models import Alias, Mention, MentionPerson, Person, Source
from monitor.core.models_search import SearchProvider, SearchState
from monitor.sources.search.base import Target
from monitor.sources.search.providers import SOURCE_ORIGIN, source_url

BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(days=1)
AUTH_BACKOFF = timedelta(hours=6)


def provider_sources(session: Session, *, names: list[str]) -> dict[str, int]:
    """The source row id of each provider, created on first use (never polled: see the module)."""
    found: dict[str, int] = {}
    for name in names:
        url = source_url(name)
        source = session.exec(select(Source).where(Source.url == url)).first()
        if source is None:
            source = Source(url=url, name=f"{name} search", kind=f"search-{name}", origin=SOURCE_ORIGIN, enabled=False)
            session.add(source)
            session.flush()
        found[name] = source.id
    return found


def searchable_people(session: Session) -> list[Target]:
    """Every active, unpaused person who is not ``private``, with names and hashtags."""
    people = list(
        session.exec(
            select(Person)
            .where(
                Person.active == True,
                Person.paused_at.is_(None),
                Person.private == False,  # noqa: E712
            )
            .order_by(Person.id)
        )
    )
    terms: dict[int, dict[str, list[str]]] = {p.id: {"alias": [], "hashtag": []} for p in people}
    for alias in session.exec(
        select(Alias).where(Alias.person_id.in_(list(terms)), Alias.kind.in_(["alias", "hashtag"]))
    ):
        terms[alias.person_id][alias.kind].append(alias.text)
    return [
        Target(
            f"person:{p.id}",
            p.id,
            tuple(dict.fromkeys([p.name, *sorted(terms[p.id]["alias"])])),
            tuple(sorted(terms[p.id]["hashtag"])),
        )
        for p in people
    ]


def last_active(session: Session) -> dict[int, datetime]:
    """Person id → the newest stored mention naming them (the planner's activity)."""
    rows = session.execute(
        sa.select(MentionPerson.person_id, sa.func.max(Mention.fetched_at))
        .join(Mention, Mention.id == MentionPerson.mention_id)
        .group_by(MentionPerson.person_id)
    ).all()
    return {person_id: _aware(at) for person_id, at in rows if at is not None}


def states(session: Session, *, provider: str) -> dict[str, SearchState]:
    """Subject → state row of one provider."""
    return {s.subject: s for s in session.exec(select(SearchState).where(SearchState.provider == provider))}


def provider_pause(session: Session, *, provider: str) -> SearchProvider | None:
    return session.get(SearchProvider, provider)


def claim_provider(session: Session, *, provider: str, now: datetime, until: datetime) -> bool:
    """Claim the provider for one run (a conditional UPDATE); False while another run holds it."""
    if session.get(SearchProvider, provider) is None:
        session.execute(insert_ignore_provider(session, provider))
    claimed = session.execute(
        sa.update(SearchProvider)
        .where(SearchProvider.provider == provider)
        .where(sa.or_(SearchProvider.lease_until.is_(None), SearchProvider.lease_until <= now))
        .values(lease_until=until)
    )
    return claimed.rowcount == 1


def insert_ignore_provider(session: Session, provider: str):
    """INSERT of the provider's row that does nothing when another run inserted it first."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(SearchProvider).values(provider=provider, failures=0).on_conflict_do_nothing()


def record_search(
    session: Session,
    *,
    provider: str,
    target: Target,
    now: datetime,
    cursor: str | None,
    results: int,
    error: str | None,
) -> None:
    """One search's outcome on its state row: cursor and counts, or the error and a backoff."""
    state = session.exec(
        select(SearchState).where(SearchState.provider == provider, SearchState.subject == target.subject)
    ).first()
    state = state or SearchState(provider=provider, subject=target.subject, person_id=target.person_id)
    state.last_search_at = now
    if error is None:
        state.cursor = cursor or state.cursor
        state.last_success_at, state.failures, state.last_error, state.backoff_until = now, 0, None, None
        state.results, state.last_results = state.results + results, results
    else:
        state.failures += 1
        state.last_error, state.backoff_until = error[:500], now + backoff(state.failures)
    session.add(state)


def record_provider(
    session: Session,
    *,
    provider: str,
    now: datetime,
    error: str | None,
    auth: bool = False,
    pause: bool = True,
    spent: bool = True,
) -> None:
    """A provider-wide outcome: a run that finished clears the pause; throttling or refused
    credentials pause every search of the provider (longer for credentials). Missing
    credentials (``pause=False``: nothing was sent) are recorded without a pause. ``last_run_at``
    is the last run that ``spent`` budget: the planner's window starts there."""
    row = session.get(SearchProvider, provider) or SearchProvider(provider=provider)
    row.last_run_at, row.lease_until = (now if spent else row.last_run_at), None
    if error is None:
        row.failures, row.backoff_until = 0, None
    else:
        row.failures += 1
        row.last_error, row.last_error_at = error[:500], now
        row.backoff_until = (now + (AUTH_BACKOFF if auth else backoff(row.failures))) if pause else None
    session.add(row)


def backoff(failures: int) -> timedelta:
    """5 min, 10, 20 … doubling per consecutive failure, at most a day."""
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** min(max(failures - 1, 0), 20))


def _aware(value: datetime) -> datetime:
    from datetime import timezone

    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
