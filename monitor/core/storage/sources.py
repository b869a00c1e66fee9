"""Polled sources: which are due, and the short leases that let one worker poll each."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Source


def enabled_sources(session: Session) -> list[Source]:
    """Every enabled source that is polled, oldest first (stream sources are consumed, not polled)."""
    polled = sa.and_(Source.enabled == True, Source.origin != "stream")  # noqa: E712
    return list(session.exec(select(Source).where(polled).order_by(Source.id)))


def any_never_polled(session: Session) -> bool:
    """Whether an enabled, polled source has never been polled (its first body is surely new)."""
    never = sa.and_(Source.enabled == True, Source.origin != "stream", Source.last_polled_at == None)  # noqa: E711, E712
    return session.exec(select(Source.id).where(never).limit(1)).first() is not None


def due_sources(session: Session, *, now: datetime, limit: int = 1000) -> list[tuple[int, str]]:
    """(id, url) of enabled sources whose next poll time has come (or was never set)."""
    statement = (
        select(Source.id, Source.url)
        .where(Source.enabled == True, Source.origin != "stream")  # noqa: E712 - streams are not polled
        .where(sa.or_(Source.next_poll_at == None, Source.next_poll_at <= now))  # noqa: E711
        .where(sa.or_(Source.lease_until == None, Source.lease_until <= now))  # noqa: E711 - claimed by a live poll
        .order_by(Source.next_poll_at.nulls_first(), Source.id)
        .limit(limit)
    )
    return [tuple(row) for row in session.exec(statement)]


def claim_source(session: Session, *, source_id: int, now: datetime, lease_until: datetime) -> bool:
    """Claim a due, unleased source for polling by a conditional UPDATE; True when this caller won it.


    The lease is short and renewed by the running batch (``renew_leases``); the poll's
    write ends it. A worker that dies leaves it to lapse, and the source is due again.
    """
    statement = (
        sa.update(Source)
        .where(Source.id == source_id, Source.enabled == True)  # noqa: E712
        .where(sa.or_(Source.next_poll_at == None, Source.next_poll_at <= now))  # noqa: E711
        .where(sa.or_(Source.lease_until == None, Source.lease_until <= now))  # noqa: E711
        .values(lease_until=lease_until)
    )
    return session.execute(statement).rowcount == 1


def renew_leases(session: Session, *, source_ids: list[int], until: datetime) -> int:
    """Extend the lease of these sources, those still leased only (a written poll ended it); how many."""
    statement = (
        sa.update(Source)
        .where(Source.id.in_(source_ids), Source.lease_until != None)  # noqa: E711
        .values(lease_until=until)
    )
    return session.execute(statement).rowcount
