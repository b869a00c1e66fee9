"""The review queue as cards: one card per story cluster, filtered, keyset-paginated.

A card is represented by the lowest-id mention of its cluster *in the card's review state*,
so a late copy of an already-reviewed story shows up again as its own unreviewed card.
Pages are ordered newest first by ``(Mention.at, id)`` (published, else first seen); the cursor
is the last card shown.
Every filter is a condition the planner can check while walking an index in that order
(``ix_mention_queue_at`` per state, ``ix_mention_at``, or the label and language indexes
of migration 0011_review), so a page stops after ``limit + 1`` matching rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from monitor.core.models import Mention, MentionPerson, Person, Sighting, Source, Spike
from monitor.core.storage import access, fulltext
from monitor.core.storage.evidence_views import deleted_condition
from monitor.core.storage.spike_groups import window
from monitor.review.labels import SHOWN_KIND
from monitor.review.queue import MentionRow, _attach_people


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
    language: str | None = None
    newer_than: int | None = None  # only mentions with a higher id (stored since a page was drawn)
    scope: access.Scope = access.EVERYTHING  # issue 20: what the reader may see; never in links

    deleted: bool = False  # only mentions whose post a re-check found deleted (issue 18)

    def query(self, **changes) -> dict[str, str]:
        """These filters as query parameters (for links and exports), with ``changes`` applied."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "scope"} | changes
        values["state"] = values["state"] or "all"
        values["spike"] = "1" if values["spike"] else None
        values["deleted"] = "1" if values["deleted"] else None
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class Card:
    """A story: its representative mention, the source kind, and how often the story was seen
    (``copies`` sightings of any of its mentions, on ``copy_sources`` distinct sources)."""

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
    if filters.scope.restricted:
        statement = statement.where(filters.scope.mention_visible())
    if filters.state:
        statement = statement.where(Mention.review_state == filters.state)
    if filters.label:
        statement = statement.where(Mention.label == filters.label)
    if filters.kind:
        statement = statement.where(SHOWN_KIND == filters.kind)
    if filters.language:
        statement = statement.where(Mention.language == filters.language)
    if filters.assigned:
        statement = statement.where(Mention.assigned_to == filters.assigned)
    if filters.newer_than is not None:
        statement = statement.where(Mention.id > filters.newer_than)
    if filters.person:
        statement = statement.where(
            sa.exists().where(MentionPerson.mention_id == Mention.id, MentionPerson.person_id == filters.person)
        )
    if filters.spike:
        statement = statement.where(_in_spike(session))
    if filters.deleted:
        statement = statement.where(deleted_condition())
    if filters.q:
        statement = statement.where(fulltext.matches(session, filters.q))  # issue 21: tsvector / FTS5
    if filters.since:
        statement = statement.where(Mention.at >= _day_start(filters.since))
    if filters.until:
        statement = statement.where(Mention.at < _day_start(filters.until + timedelta(days=1)))
    return statement


SPIKE_WINDOWS = 200


def _in_spike(session: Session):
    """The mention names a person during one of that person's latest ``SPIKE_WINDOWS`` spike
    episodes (first bucket to the end of its last), by the mention's time (``Mention.at``), the
    time the detector counted. Windows are computed here, not in SQL, because SQLite has no
    interval arithmetic."""
    spikes = session.exec(select(Spike).order_by(Spike.hour.desc()).limit(SPIKE_WINDOWS)).all()
    windows = [
        sa.and_(MentionPerson.person_id == s.person_id, Mention.at >= window(s)[0], Mention.at < window(s)[1])
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
                other.cluster_id == Mention.cluster_id,
                other.review_state == Mention.review_state,
                other.id < Mention.id,
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
    return f"{mention.at.isoformat()}_{mention.id}"


def list_cards(session: Session, *, filters: Filters, limit: int, after: str | None = None) -> Page:
    """One page of cards after ``after`` (a cursor), newest first, with copies counted."""
    statement = _representative(
        _where(select(Mention, Source.name, SHOWN_KIND).join(Source, Source.id == Mention.source_id), filters, session)
    )
    cursor = parse_cursor(after)
    if cursor:
        stamp, ident = cursor
        statement = statement.where(sa.or_(Mention.at < stamp, sa.and_(Mention.at == stamp, Mention.id < ident)))
    statement = statement.order_by(Mention.at.desc(), Mention.id.desc()).limit(limit + 1)
    found = session.exec(statement).all()
    cards = [Card(MentionRow(m, name or ""), kind or "") for m, name, kind in found[:limit]]
    _attach_people(session, [c.row for c in cards], scope=filters.scope)
    _count_copies(session, cards)
    next_cursor = _cursor_of(cards[-1].row.mention) if len(found) > limit and cards else None
    # The count is capped at one page: "50+" costs nothing, while counting further repeats
    # the page's work over every matching row (at a million mentions, the dearest part of a page).
    # Later pages show no count (None): the first page already told the reviewer.
    total = len(cards) if cursor is None else None
    return Page(cards, next_cursor, total, capped=total is not None and next_cursor is not None)


def all_cards(session: Session, *, filters: Filters, limit: int) -> list[Card]:
    """Up to ``limit`` cards for exports (no copies counted beyond the page query)."""
    return list_cards(session, filters=filters, limit=limit).cards


def _story_key(mention: Mention) -> int:
    # Clusters by id; an unclustered mention is a story alone (negative: never a cluster id).
    return mention.cluster_id if mention.cluster_id is not None else -mention.id


def _count_copies(session: Session, cards: list[Card]) -> None:
    """Sightings of each card's story: one per (mention, source) that carried it, counting a
    mention stored before sightings existed as one sighting on its own source."""
    if not cards:
        return
    clusters = {c.row.mention.cluster_id for c in cards if c.row.mention.cluster_id is not None}
    singles = {c.row.mention.id for c in cards if c.row.mention.cluster_id is None}
    key = sa.case((Mention.cluster_id.is_(None), -Mention.id), else_=Mention.cluster_id)
    seen_on = sa.func.coalesce(Sighting.source_id, Mention.source_id)
    counts = {
        story: (n, s)
        for story, n, s in session.execute(
            sa.select(key, sa.func.count(), sa.func.count(sa.distinct(seen_on)))
            .select_from(Mention)
            .outerjoin(Sighting, Sighting.mention_id == Mention.id)
            .where(sa.or_(Mention.cluster_id.in_(clusters), Mention.id.in_(singles)))
            .group_by(key)
        )
    }
    for card in cards:
        card.copies, card.copy_sources = counts.get(_story_key(card.row.mention), (1, 1))


def people(session: Session, scope: access.Scope = access.EVERYTHING) -> list[Person]:
    """Every person ``scope`` shows, for menus and lists."""
    return list(session.exec(select(Person).where(scope.person_visible(Person.id)).order_by(Person.name)))


def source_kinds(session: Session) -> list[str]:
    """The distinct source kinds as cards show them (detected for "auto"), for the filter menu."""
    return sorted(k for k in session.exec(select(SHOWN_KIND).distinct()) if k)


# An index skip scan: one probe of ix_mention_lang_queue per language, not a pass over every
# mention. Both PostgreSQL and SQLite run recursive CTEs.
_LANGUAGES = sa.text(
    "WITH RECURSIVE langs(code) AS ("
    " SELECT min(language) FROM mention"
    " UNION ALL SELECT (SELECT min(language) FROM mention WHERE language > langs.code) FROM langs"
    " WHERE langs.code IS NOT NULL)"
    " SELECT code FROM langs WHERE code IS NOT NULL"
)


def languages(session: Session) -> list[str]:
    """The languages mentions are in (primary subtags, sorted), for the filter menu."""
    return list(session.execute(_LANGUAGES).scalars())
