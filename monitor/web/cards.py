"""The review queue as cards: one card per story cluster, filtered, keyset-paginated.

A card is represented by the lowest-id mention of its cluster *in the card's review state*,
so a late copy of an already-reviewed story shows up again as its own unreviewed card.
Pages are ordered newest first by ``(fetched_at, id)``; ``Cursor`` is the last card shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from monitor.models import Mention, MentionPerson, Person, Source, Spike
from monitor.web.queue import MentionRow, _attach_people

# Counting is the dearest part of a page at a million mentions: stop at a number that still says "a lot".
COUNT_CAP = 200


@dataclass
class Filters:
    """What the reviewer asked for; ``state`` None means every state."""

    state: str | None = "unreviewed"
    person: int | None = None
    kind: str | None = None
    label: str | None = None
    q: str | None = None
    since: date | None = None
    until: date | None = None
    assigned: int | None = None
    spike: bool = False

    def query(self, **changes) -> dict[str, str]:
        """These filters as query parameters (for links and exports), with ``changes`` applied."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__} | changes
        values["state"] = values["state"] or "all"
        values["spike"] = "1" if values["spike"] else None
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class Card:
    row: MentionRow
    kind: str
    copies: int = 1
    copy_sources: int = 1


@dataclass
class Page:
    cards: list[Card]
    next_cursor: str | None
    total: int | None
    capped: bool = False
    extra: dict = field(default_factory=dict)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _where(statement, filters: Filters, session: Session):
    if filters.state:
        statement = statement.where(Mention.review_state == filters.state)
    if filters.label:
        statement = statement.where(Mention.label == filters.label)
    if filters.kind:
        statement = statement.where(Source.kind == filters.kind)
    if filters.assigned:
        statement = statement.where(Mention.assigned_to == filters.assigned)
    if filters.person:
        statement = statement.where(
            sa.exists().where(MentionPerson.mention_id == Mention.id, MentionPerson.person_id == filters.person)
        )
    if filters.spike:
        statement = statement.where(_in_spike(session))
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(sa.or_(Mention.title.ilike(pattern, escape="\\"), Mention.text.ilike(pattern, escape="\\")))
    if filters.since:
        statement = statement.where(Mention.fetched_at >= _day_start(filters.since))
    if filters.until:
        statement = statement.where(Mention.fetched_at < _day_start(filters.until + timedelta(days=1)))
    return statement


SPIKE_WINDOWS = 200


def _in_spike(session: Session):
    """The mention names a person during one of that person's latest ``SPIKE_WINDOWS`` spike
    episodes (first hour to the end of its last hour). Windows are computed here, not in SQL,
    because SQLite has no interval arithmetic."""
    spikes = session.exec(select(Spike).order_by(Spike.hour.desc()).limit(SPIKE_WINDOWS)).all()
    windows = [
        sa.and_(MentionPerson.person_id == s.person_id, Mention.fetched_at >= s.hour,
                Mention.fetched_at < (s.end_at or s.hour) + timedelta(hours=1))
        for s in spikes
    ]
    if not windows:
        return sa.false()
    return sa.exists().where(MentionPerson.mention_id == Mention.id, sa.or_(*windows))


def _representative(statement):
    other = aliased(Mention)
    return statement.where(
        sa.or_(
            Mention.cluster_id.is_(None),
            ~sa.exists().where(
                other.cluster_id == Mention.cluster_id, other.review_state == Mention.review_state, other.id < Mention.id
            ),
        )
    )


def parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    """``"<iso time>_<id>"`` → (time, id); None when absent or malformed."""
    if not value or "_" not in value:
        return None
    stamp, _, ident = value.rpartition("_")
    try:
        return datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        return None


def _cursor_of(mention: Mention) -> str:
    return f"{mention.fetched_at.isoformat()}_{mention.id}"


def list_cards(session: Session, *, filters: Filters, limit: int, after: str | None = None) -> Page:
    """One page of cards after ``after`` (a cursor), newest first, with copies counted."""
    statement = _representative(_where(
        select(Mention, Source.name, Source.kind).join(Source, Source.id == Mention.source_id), filters, session
    ))
    cursor = parse_cursor(after)
    if cursor:
        stamp, ident = cursor
        statement = statement.where(
            sa.or_(Mention.fetched_at < stamp, sa.and_(Mention.fetched_at == stamp, Mention.id < ident))
        )
    statement = statement.order_by(Mention.fetched_at.desc(), Mention.id.desc()).limit(limit + 1)
    found = session.exec(statement).all()
    cards = [Card(MentionRow(m, name or ""), kind or "") for m, name, kind in found[:limit]]
    _attach_people(session, [c.row for c in cards])
    _count_copies(session, cards)
    next_cursor = _cursor_of(cards[-1].row.mention) if len(found) > limit and cards else None
    # Later pages skip the count (None): the first page already told the reviewer.
    total, capped = count_cards(session, filters=filters) if cursor is None else (None, False)
    return Page(cards, next_cursor, total, capped)


def all_cards(session: Session, *, filters: Filters, limit: int) -> list[Card]:
    """Up to ``limit`` cards for exports (no copies counted beyond the page query)."""
    return list_cards(session, filters=filters, limit=limit).cards


def _count_copies(session: Session, cards: list[Card]) -> None:
    clusters = {c.row.mention.cluster_id for c in cards if c.row.mention.cluster_id is not None}
    if not clusters:
        return
    counts = {
        cid: (n, s) for cid, n, s in session.exec(
            select(Mention.cluster_id, sa.func.count(Mention.id), sa.func.count(sa.distinct(Mention.source_id)))
            .where(Mention.cluster_id.in_(clusters)).group_by(Mention.cluster_id)
        )
    }
    for card in cards:
        card.copies, card.copy_sources = counts.get(card.row.mention.cluster_id, (1, 1))


def count_cards(session: Session, *, filters: Filters) -> tuple[int, bool]:
    """How many cards match, counting at most ``COUNT_CAP`` (then ``capped`` is True)."""
    inner = _representative(_where(
        select(Mention.id).join(Source, Source.id == Mention.source_id), filters, session
    )).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(sa.func.count()).select_from(inner)).one()
    return min(total, COUNT_CAP), total > COUNT_CAP


def people(session: Session) -> list[Person]:
    """Every person, for the filter menu."""
    return list(session.exec(select(Person).order_by(Person.name)))


def source_kinds(session: Session) -> list[str]:
    """The distinct source kinds, for the filter menu."""
    return sorted(k for k in session.exec(select(Source.kind).distinct()) if k)
