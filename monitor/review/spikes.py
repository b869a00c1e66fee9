"""What reviewers and admins decide about spikes: "expected" marks and a person's alert settings.

A spike marked expected (with the per-kind spikes folded under a whole-volume one) stores who
and when, and sends no more alerts (``monitor.notify.alerts`` skips it). A person's alert
sensitivity and mute date are set here unless their config entry sets them. Both are audited;
the caller commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from monitor.core.models import Person, Spike, User
from monitor.core.storage import access
from monitor.core.storage.spike_groups import group_spikes, window
from monitor.core.storage.spike_state import ALL_KINDS
from monitor.review.errors import Conflict, NotFound, Unprocessable
from monitor.review.triage import audit
from monitor.spikes.sensitivity import SENSITIVITIES, settings_of


def mark_expected(session: Session, *, spike_id: int, expected: bool, actor: User, now: datetime) -> Spike:
    """Mark a spike ``actor`` may see, and the per-kind spikes folded under it, as expected or not."""
    spike = session.get(Spike, spike_id)
    if spike is None or not access.can_see_person(session, access.scope_for(session, actor), spike.person_id):
        raise NotFound(f"spike {spike_id}: no such spike")
    for member in _members(session, spike):
        _mark(session, member, expected, actor, now)
    return spike


def _members(session: Session, spike: Spike) -> list[Spike]:
    """The spike and, when it is a person's whole-volume spike, the per-kind spikes folded under it."""
    if spike.source_kind != ALL_KINDS:
        return [spike]
    start, end = window(spike)
    candidates = session.exec(
        select(Spike).where(
            Spike.person_id == spike.person_id,
            Spike.source_kind != ALL_KINDS,
            Spike.hour < end,
            Spike.hour >= start - timedelta(days=7),
        )
    ).all()
    group = next(g for g in group_spikes([spike, *candidates]) if g.spike.id == spike.id)
    return [spike, *group.kinds]


def _mark(session: Session, spike: Spike, value: bool, actor: User, now: datetime) -> None:
    if spike.expected_by_reviewer == value:
        return
    before = {"expected_by_reviewer": spike.expected_by_reviewer}
    spike.expected_by_reviewer = value
    spike.expected_by, spike.expected_at = (actor.id, now) if value else (None, None)
    session.add(spike)
    audit(
        session,
        user=actor,
        action="spike_expected" if value else "spike_unexpected",
        target=f"spike:{spike.id}",
        before=before,
        after={"expected_by_reviewer": value},
    )


def set_alerts(session: Session, *, person_id: int, alert: str, mute_until: str, actor: User) -> Person:
    """Set a person's alert sensitivity and mute date (``YYYY-MM-DD``; empty: not muted)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id}: no such person")
    if person.alert_from_config:
        raise Conflict("the config file sets this person's alerts: edit it there")
    if alert not in SENSITIVITIES:
        raise Unprocessable(f"alert: use one of {', '.join(SENSITIVITIES)}")
    try:
        until = date.fromisoformat(mute_until.strip()) if mute_until.strip() else None
    except ValueError:
        raise Unprocessable("mute until: write a date as YYYY-MM-DD") from None
    before = settings_of(person)
    person.alert, person.mute_until = alert, until
    session.add(person)
    audit(
        session,
        user=actor,
        action="person_alerts",
        target=f"person:{person.id}",
        before=before,
        after=settings_of(person),
    )
    return person
