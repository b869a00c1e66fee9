"""Queries behind the review page and the API: the mention queue, decisions, spikes.

``decide`` is the one write: it sets ``Mention.status`` and appends a ``ReviewDecision``
in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Mention, MentionPerson, Person, ReviewDecision, Source, Spike, utcnow
from monitor.core.storage import access

DECISIONS = ("confirmed", "dismissed")
STATUSES = ("new", *DECISIONS)


@dataclass
class MentionRow:
    """A mention with the names the page and the API show next to it."""

    mention: Mention
    source: str
    people: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)


@dataclass
class SpikeRow:
    spike: Spike
    person: str


def _filtered(statement, status: str | None, scope: access.Scope = access.EVERYTHING):
    if scope.restricted:
        statement = statement.where(scope.mention_visible())
    return statement if status is None else statement.where(Mention.status == status)


def count_mentions(session: Session, *, status: str | None) -> int:
    """How many mentions have ``status`` (all mentions when None)."""
    return session.exec(_filtered(select(sa.func.count(Mention.id)), status)).one()


def list_mentions(
    session: Session, *, status: str | None, limit: int, offset: int = 0, scope: access.Scope = access.EVERYTHING
) -> list[MentionRow]:
    """Mentions with ``status`` (all when None) that ``scope`` shows, newest first by ``Mention.at``,
    with source and people."""
    statement = (
        _filtered(select(Mention, Source.name).join(Source, Source.id == Mention.source_id), status, scope)
        .order_by(Mention.at.desc(), Mention.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [MentionRow(mention, source_name or "") for mention, source_name in session.exec(statement)]
    _attach_people(session, rows, scope=scope)
    return rows


def get_mention(session: Session, *, mention_id: int, scope: access.Scope = access.EVERYTHING) -> MentionRow | None:
    """One mention with its source and people, or None (also when ``scope`` hides it)."""
    found = session.exec(
        select(Mention, Source.name)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.id == mention_id, scope.mention_visible())
    ).first()
    if found is None:
        return None
    row = MentionRow(found[0], found[1] or "")
    _attach_people(session, [row], scope=scope)
    return row


def _attach_people(session: Session, rows: list[MentionRow], *, scope: access.Scope = access.EVERYTHING) -> None:
    """Fill each row's people and aliases; a person ``scope`` hides is ``access.OTHER_PERSON``
    (their alias is left out, so nothing on the card names them)."""
    by_id = {row.mention.id: row for row in rows}
    if not by_id:
        return
    statement = (
        select(MentionPerson.mention_id, Person.name, MentionPerson.alias, scope.person_visible(Person.id))
        .join(Person, Person.id == MentionPerson.person_id)
        .where(MentionPerson.mention_id.in_(list(by_id)))
        .order_by(Person.name)
    )
    for mention_id, name, alias, visible in session.exec(statement):
        by_id[mention_id].people.append(access.shown_name(name, bool(visible)))
        if visible:
            by_id[mention_id].aliases.append(alias)


def decide(session: Session, *, mention_id: int, user_id: int | None, decision: str) -> Mention | None:
    """Record ``decision`` on the mention; None when it does not exist. The caller commits."""
    if decision not in DECISIONS:
        raise ValueError(f"decision: expected one of {', '.join(DECISIONS)}, got {decision!r}")
    mention = session.get(Mention, mention_id)
    if mention is None:
        return None
    mention.status = decision
    if mention.review_state == "unreviewed":
        mention.review_state = "reviewed"
    session.add(mention)
    session.add(ReviewDecision(mention_id=mention_id, user_id=user_id, decision=decision, decided_at=utcnow()))
    session.flush()
    return mention


def list_spikes(
    session: Session, *, since: datetime | None = None, limit: int = 50, scope: access.Scope = access.EVERYTHING
) -> list[SpikeRow]:
    """Spikes of the people ``scope`` shows (optionally only hours at or after ``since``), latest
    hour first, with the person's name."""
    statement = (
        select(Spike, Person.name).join(Person, Person.id == Spike.person_id).where(scope.person_visible(Person.id))
    )
    if since is not None:
        statement = statement.where(Spike.hour >= since)
    statement = statement.order_by(Spike.hour.desc(), Spike.id.desc()).limit(limit)
    return [SpikeRow(spike, name) for spike, name in session.exec(statement)]
