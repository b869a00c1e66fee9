"""What reviewers see of the evidence: the card's capture line and badges, the digest's
"deleted or edited" section, and the queue's "deleted" filter. Queries only; no web here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Mention, MentionPerson, Person
from monitor.core.models_custody import CaptureStamp, StampToken
from monitor.core.models_evidence import Capture, Preservation


@dataclass
class CardEvidence:
    """One card's line: "captured … · sha256 ab12… · timestamped (N TSAs)" and its badges."""

    captured_at: datetime | None
    sha256: str | None
    tsas: int | None  # None: not known to be timestamped
    deleted_days: int | None = None  # "deleted N days after capture"
    edited: bool = False
    state: str | None = None


@dataclass
class ChangeLine:
    """A preserved mention found deleted or edited in the digest's day."""

    mention_id: int
    person: str
    title: str
    url: str | None
    change: str  # deleted, edited
    days_after_capture: int | None


def timestamp_counts(session: Session, capture_ids: list[int]) -> dict[int, int]:
    """How many TSAs timestamped each capture: the tokens of the manifest that lists it."""
    if not capture_ids:
        return {}
    statement = (
        select(CaptureStamp.capture_id, sa.func.count(StampToken.id))
        .join(StampToken, StampToken.manifest_id == CaptureStamp.manifest_id)
        .where(CaptureStamp.capture_id.in_(capture_ids))
        .group_by(CaptureStamp.capture_id)
    )
    return {capture_id: count for capture_id, count in session.exec(statement)}


def card_evidence(session: Session, mention_ids: list[int]) -> dict[int, CardEvidence]:
    """The evidence line of each mention that has a capture (the first one), with its badges."""
    if not mention_ids:
        return {}
    first = (
        select(Capture.mention_id, sa.func.min(Capture.id).label("first"))
        .where(Capture.mention_id.in_(mention_ids))
        .group_by(Capture.mention_id)
        .subquery()
    )
    rows = session.exec(select(Capture).join(first, Capture.id == first.c.first)).all()
    stamps = timestamp_counts(session, [c.id for c in rows])
    found = {c.mention_id: CardEvidence(c.captured_at, c.sha256, stamps.get(c.id)) for c in rows}
    for row in session.exec(select(Preservation).where(Preservation.mention_id.in_(mention_ids))):
        line = found.setdefault(row.mention_id, CardEvidence(None, None, None))
        line.state, line.edited = row.state, row.edited_at is not None
        start = line.captured_at or row.page_captured_at or row.requested_at
        if row.deleted_at and start:
            line.deleted_days = max(0, (row.deleted_at - start).days)
    return found


def changed_between(session: Session, *, start: datetime, end: datetime, person_ids: list[int]) -> list[ChangeLine]:
    """Preserved mentions of ``person_ids`` found deleted or edited in ``[start, end)``."""
    if not person_ids:
        return []
    deleted = sa.and_(Preservation.deleted_at >= start, Preservation.deleted_at < end)
    edited = sa.and_(Preservation.edited_at >= start, Preservation.edited_at < end)
    rows = session.exec(
        select(Preservation, Mention.title, Mention.url, Person.name)
        .join(Mention, Mention.id == Preservation.mention_id)
        .join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .join(Person, Person.id == MentionPerson.person_id)
        .where(MentionPerson.person_id.in_(person_ids), sa.or_(deleted, edited))
        .order_by(Person.name, Preservation.mention_id)
    ).all()
    lines, seen = [], set()
    for row, title, url, person in rows:
        if row.mention_id in seen:
            continue
        seen.add(row.mention_id)
        change = "deleted" if row.deleted_at and start <= row.deleted_at < end else "edited"
        start_at = row.page_captured_at or row.requested_at
        days = (row.deleted_at - start_at).days if change == "deleted" and start_at else None
        lines.append(ChangeLine(row.mention_id, person, title or "", url, change, days))
    return lines


def deleted_condition():
    """The queue filter "deleted": the mention's post was found deleted by a re-check."""
    return sa.exists().where(Preservation.mention_id == Mention.id, Preservation.deleted_at != None)
