"""Exclusion suggestions (filed by "false match" labels, ``triage``) decided by an admin, audited.

Accepting adds the phrase, possibly edited, as a web exclude of the person, which config
syncs leave alone. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from monitor.core.models import Alias, ExclusionSuggestion, Person, User
from monitor.review.errors import Malformed, NotFound
from monitor.review.triage import audit

DECISIONS = ("accept", "reject")


def pending(session: Session) -> list[tuple[ExclusionSuggestion, str]]:
    """Pending suggestions with the name of the person they would apply to, oldest first."""
    return list(
        session.exec(
            select(ExclusionSuggestion, Person.name)
            .join(Person, Person.id == ExclusionSuggestion.person_id)
            .where(ExclusionSuggestion.status == "pending")
            .order_by(ExclusionSuggestion.id)
        )
    )


def decide(
    session: Session, *, suggestion_id: int, decision: str, phrase: str | None, actor: User, now: datetime
) -> ExclusionSuggestion:
    """``accept`` (the ``phrase``, when given, replaces the suggested one) or ``reject`` a pending suggestion."""
    if decision not in DECISIONS:
        raise Malformed("decision: expected accept or reject")
    row = session.get(ExclusionSuggestion, suggestion_id)
    if row is None or row.status != "pending":
        raise NotFound(f"no pending suggestion {suggestion_id}")
    before = {"status": row.status, "phrase": row.phrase}
    row.phrase = (phrase or row.phrase).strip() or row.phrase
    row.status, row.decided_by, row.decided_at = ("accepted" if decision == "accept" else "rejected"), actor.id, now
    if decision == "accept" and not _has_exclude(session, row.person_id, row.phrase):
        session.add(Alias(person_id=row.person_id, kind="exclude", text=row.phrase, origin="web"))  # survives syncs
    session.add(row)
    after = {"status": row.status, "phrase": row.phrase}
    audit(session, user=actor, action=f"exclusion-{decision}", target=f"exclusion:{row.id}", before=before, after=after)
    return row


def _has_exclude(session: Session, person_id: int, phrase: str) -> bool:
    found = session.exec(
        select(Alias.id).where(Alias.person_id == person_id, Alias.kind == "exclude", Alias.text == phrase)
    ).first()
    return found is not None
