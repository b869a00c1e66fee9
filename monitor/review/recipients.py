"""Digest recipients added, stopped and (un)subscribed on the web.

A recipient carries an ``origin``: "config" rows follow the TOML file on every sync and are
read-only here; "web" rows were added here (or by a user subscribing) and survive syncs. A
stopped recipient's row stays: past deliveries refer to it. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, select

from monitor.core.config_file import RecipientEntry
from monitor.core.models import Person, Recipient, User
from monitor.core.storage import access
from monitor.review.errors import Conflict, NotFound, Refused, one_line
from monitor.review.triage import audit


def everyone(session: Session) -> list[Recipient]:
    """Every recipient, by email."""
    return list(session.exec(select(Recipient).order_by(Recipient.email)))


def active_people_names(session: Session, scope: access.Scope = access.EVERYTHING) -> list[str]:
    """The names of the active people ``scope`` shows, sorted (the forms' choices)."""
    return list(
        session.exec(
            select(Person.name).where(Person.active == True, scope.person_visible(Person.id)).order_by(Person.name)
        )
    )


def add_recipient(session: Session, *, email: str, timezone: str, people: list[str] | None, actor: User) -> Recipient:
    """Send the digest to ``email`` (origin "web"), for ``people`` only when given; ``Refused``
    for a bad field, an unknown person or an address already receiving it."""
    try:
        entry = RecipientEntry(
            email=email, timezone=timezone.strip() or None, people=sorted(set(people)) if people else None
        )
    except ValidationError as exc:
        raise Refused(one_line(exc)) from None
    known = set(session.exec(select(Person.name)))
    unknown = sorted(set(entry.people or []) - known)
    row = session.exec(select(Recipient).where(Recipient.email == entry.email)).first()
    if unknown:
        raise Refused(f"people: unknown person {unknown[0]!r}")
    if row is not None and row.active:
        raise Refused(f"email: {entry.email} already receives the digest")
    row = row or Recipient(email=entry.email, origin="web")
    row.people, row.timezone, row.active, row.unsubscribed_at = entry.people, entry.timezone, True, None
    session.add(row)
    session.flush()
    after = {"email": row.email, "timezone": row.timezone, "people": row.people}
    audit(session, user=actor, action="recipient-add", target=f"recipient:{row.id}", before=None, after=after)
    return row


def remove_recipient(session: Session, *, recipient_id: int, actor: User) -> Recipient:
    """Stop a web recipient's digests (the row stays); config recipients are a ``Conflict``."""
    row = session.get(Recipient, recipient_id)
    if row is None:
        raise NotFound(f"no recipient {recipient_id}")
    if row.origin != "web":
        raise Conflict("this recipient comes from the config file: edit it there")
    before = {"email": row.email, "active": row.active}
    audit(
        session,
        user=actor,
        action="recipient-remove",
        target=f"recipient:{row.id}",
        before=before,
        after={"active": False},
    )
    row.active = False
    session.add(row)
    return row


def unsubscribe(session: Session, *, recipient_id: int, email: str, now: datetime) -> None:
    """End the digests of the recipient a signed unsubscribe token names; idempotent."""
    session.execute(
        sa.update(Recipient)
        .where(Recipient.id == recipient_id, Recipient.email == email, Recipient.unsubscribed_at == None)  # noqa: E711
        .values(unsubscribed_at=now)
    )


def set_subscription(
    session: Session, *, user: User, subscribe: bool, people: list[str] | None, now: datetime
) -> Recipient:
    """Start (for ``people`` only when given) or stop ``user``'s own digest. A person the user's
    groups do not show is as unknown as a stranger (``Refused``). A config recipient keeps its
    people: only its subscription changes."""
    known = set(active_people_names(session, access.scope_for(session, user)))
    unknown = sorted(set(people or []) - known)
    if unknown:
        raise Refused(f"unknown person {unknown[0]!r}")
    row = session.exec(select(Recipient).where(Recipient.email == user.email)).first()
    if row is None:
        row = Recipient(email=user.email, origin="web")
    if row.origin == "web":
        row.people, row.active = (sorted(set(people)) if people else None), True
    row.unsubscribed_at = None if subscribe else now
    session.add(row)
    return row


def active_emails(session: Session) -> list[str]:
    """The addresses of the active recipients, sorted (the digest preview's choices)."""
    return list(session.exec(select(Recipient.email).where(Recipient.active == True).order_by(Recipient.email)))  # noqa: E712


def by_email(session: Session, email: str) -> Recipient | None:
    """The recipient with this address, or None."""
    return session.exec(select(Recipient).where(Recipient.email == email)).first()
