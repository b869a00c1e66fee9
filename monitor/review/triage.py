"""Triage writes: label, escalate, assign, note — applied to a whole story cluster, audited.

A card is a cluster; acting on a card acts on every mention of its cluster (or the mention
alone when it has none). Every change appends an ``AuditEntry`` per mention (before/after)
and, for label and escalation, a ``ReviewDecision``. The caller commits.

State mapping (``Mention.status`` stays what the digest reads):

==============  ===================  ======================
action          review_state         status
==============  ===================  ======================
label unrelated reviewed (escalated  dismissed
                stays escalated)
other label     same                 confirmed
escalate        escalated            confirmed when new
==============  ===================  ======================

A label ``unrelated`` (false match) also files ``ExclusionSuggestion`` rows for an admin.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from monitor.core.models import (
    AuditEntry,
    ExclusionSuggestion,
    Mention,
    MentionPerson,
    Person,
    ReviewDecision,
    User,
    utcnow,
)
from monitor.core.storage import access
from monitor.core.storage.captures import request_preservation
from monitor.core.storage.matcher_cache import matcher_for
from monitor.matching import Matcher

LABELS = ("solidarity", "news", "hostile", "unrelated", "other")
STATES = ("unreviewed", "reviewed", "escalated")
ACTIONS = ("label", "escalate", "assign", "unassign", "note", "confirmed", "dismissed")
AUDITED = ("status", "review_state", "label", "note", "assigned_to")
_NEXT_WORD = re.compile(r"\W*\w+", re.UNICODE)


def _snapshot(mention: Mention) -> dict:
    return {name: getattr(mention, name) for name in AUDITED}


def cluster_members(session: Session, mention_ids: list[int]) -> list[Mention]:
    """The mentions of the clusters of ``mention_ids`` (each mention alone when unclustered)."""
    picked = session.exec(select(Mention).where(Mention.id.in_(mention_ids))).all()
    clusters = {m.cluster_id for m in picked if m.cluster_id is not None}
    members = {m.id: m for m in picked}
    if clusters:
        for m in session.exec(select(Mention).where(Mention.cluster_id.in_(clusters))):
            members.setdefault(m.id, m)
    return sorted(members.values(), key=lambda m: m.id)


def _apply(mention: Mention, action: str, value: str | None, user: User) -> None:
    if action == "label":
        mention.label = value
        mention.status = "dismissed" if value == "unrelated" else "confirmed"
        mention.review_state = "escalated" if mention.review_state == "escalated" else "reviewed"
    elif action in ("confirmed", "dismissed"):
        mention.status = action
        mention.review_state = "escalated" if mention.review_state == "escalated" else "reviewed"
    elif action == "escalate":
        mention.review_state = "escalated"
        mention.status = "confirmed" if mention.status == "new" else mention.status
    elif action == "assign":
        mention.assigned_to = int(value) if value else user.id
    elif action == "unassign":
        mention.assigned_to = None
    elif action == "note":
        mention.note = (value or "").strip() or None


def validate(action: str, value: str | None) -> str | None:
    """An error message for a bad action/value pair, or None."""
    if action not in ACTIONS:
        return f"action: expected one of {', '.join(ACTIONS)}"
    if action == "label" and value not in LABELS:
        return f"label: expected one of {', '.join(LABELS)}"
    if action == "assign" and value and not value.isdigit():
        return "assign: expected a user id"
    return None


def act(session: Session, *, mention_ids: list[int], action: str, value: str | None, user: User) -> list[Mention]:
    """Apply ``action`` to the clusters of ``mention_ids``; returns the changed mentions."""
    error = validate(action, value)
    if error:
        raise ValueError(error)
    if action == "assign" and value and session.get(User, int(value)) is None:
        raise ValueError(f"assign: no user {value}")
    members = _visible_members(session, mention_ids, user)
    now = utcnow()
    for mention in members:
        before = _snapshot(mention)
        _apply(mention, action, value, user)
        session.add(mention)
        session.add(
            AuditEntry(
                at=now,
                user_id=user.id,
                action=action,
                target=f"mention:{mention.id}",
                before=before,
                after=_snapshot(mention),
            )
        )
        if action in ("label", "escalate", "confirmed", "dismissed"):
            decision = mention.status if action != "escalate" else "escalated"
            session.add(ReviewDecision(mention_id=mention.id, user_id=user.id, decision=decision, decided_at=now))
            _custody_labelled(session, mention, decision, user)
    if action == "label" and value == "unrelated":
        _suggest_exclusions(session, [m for m in members if m.id in mention_ids], user)
    if action in ("label", "escalate", "confirmed"):  # issue 18: keep what a reviewer confirmed as evidence
        request_preservation(
            session,
            mention_ids=[m.id for m in members if m.status == "confirmed" or m.review_state == "escalated"],
            reason="review",
            now=now,
        )
    session.flush()
    return members


def _visible_members(session: Session, mention_ids: list[int], user: User) -> list[Mention]:
    """The clusters of the ids ``user`` may see, less the mentions they may not (issue 20):
    a card of another group is "not found", and acting on a story never touches its hidden copies."""
    scope = access.scope_for(session, user)
    if not scope.restricted:
        return cluster_members(session, mention_ids)
    members = cluster_members(session, access.visible_mention_ids(session, scope, mention_ids))
    shown = set(access.visible_mention_ids(session, scope, [m.id for m in members]))
    return [m for m in members if m.id in shown]


def _custody_labelled(session: Session, mention: Mention, decision: str, user: User) -> None:
    """The decision as a "labelled" custody event (issue 18), concerning the mention's people."""
    from monitor.core.storage.custody import append_event

    people = session.exec(select(MentionPerson.person_id).where(MentionPerson.mention_id == mention.id)).all()
    append_event(
        session,
        "labelled",
        f"user:{user.id}",
        f"mention:{mention.id}",
        person_ids=people,
        details={"decision": decision, "label": mention.label, "review_state": mention.review_state},
    )


def _suggest_exclusions(session: Session, mentions: list[Mention], user: User) -> None:
    """File "name + next word" of each match as an exclude phrase for an admin to accept."""
    matcher = matcher_for(session)
    for mention in mentions:
        linked = dict(
            session.exec(
                select(Person.name, Person.id)
                .join(MentionPerson, MentionPerson.person_id == Person.id)
                .where(MentionPerson.mention_id == mention.id)
            ).all()
        )
        text = mention.text or mention.title or ""
        for match in matcher.find(text):
            if match.person in linked:
                phrase = _phrase(text, match.start, match.end)
                if not names_someone(matcher, phrase):
                    _suggest(session, person_id=linked[match.person], phrase=phrase, mention_id=mention.id, user=user)


def names_someone(matcher: Matcher, phrase: str) -> bool:
    """True when ``phrase`` holds a form of a tracked person's full name (a name or alias of
    more than one word), hashtag or handle, in any case or script the matcher knows.

    Such a phrase is about the person: accepted as an exclude, "Владимир Воронцов приговорён"
    would silence the sentencing news it was meant to keep. A bare surname beside another word
    ("Vorontsov Palace") may be a place or a namesake, and stays a suggestion.
    """
    return any(len(match.alias.split()) > 1 or match.alias.startswith(("#", "@")) for match in matcher.find(phrase))


def _phrase(text: str, start: int, end: int) -> str:
    following = _NEXT_WORD.match(text, end)
    return text[start : following.end() if following else end].strip()


def _suggest(session: Session, *, person_id: int, phrase: str, mention_id: int, user: User) -> None:
    exists = session.exec(
        select(ExclusionSuggestion.id).where(
            ExclusionSuggestion.person_id == person_id, ExclusionSuggestion.phrase == phrase
        )
    ).first()
    if exists is None:
        session.add(
            ExclusionSuggestion(
                person_id=person_id, phrase=phrase, mention_id=mention_id, suggested_by=user.id, created_at=utcnow()
            )
        )
        session.flush()


def audit(session: Session, *, user: User, action: str, target: str, before: dict | None, after: dict | None) -> None:
    """Append one audit entry (used by admin actions)."""
    session.add(AuditEntry(at=utcnow(), user_id=user.id, action=action, target=target, before=before, after=after))


def recent_audit(session: Session, *, target: str | None, limit: int) -> list[tuple[AuditEntry, str | None]]:
    """The latest ``limit`` audit entries (of ``target`` only, when given) with their user's email, newest first."""
    statement = select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.user_id)
    if target:
        statement = statement.where(AuditEntry.target == target)
    return list(session.exec(statement.order_by(AuditEntry.id.desc()).limit(limit)))
