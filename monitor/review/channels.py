"""Alert channels (issue 21) added and stopped by an admin, audited.

The web checks the Apprise URL and seals it (``monitor.notify.channels``, a layer above this
one); here are the rules on the rows: a unique name, known people, and a stopped channel
forgets its URL while its row stays (past alerts refer to it). The audit entries carry the
name, service and people, never the URL. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from monitor.core.models import Person, Recipient, User
from monitor.core.models_notify import NotifyChannel
from monitor.review.errors import NotFound, Refused
from monitor.review.triage import audit

MAX_URL = 2000
MAX_NAME = 100


def active(session: Session) -> list[NotifyChannel]:
    """The stored channels still in use, by name."""
    return list(session.exec(select(NotifyChannel).where(NotifyChannel.active == True).order_by(NotifyChannel.name)))  # noqa: E712


def configured(session: Session) -> list[tuple[str, str]]:
    """(recipient email, channel reference) of the config's active recipients."""
    rows = session.exec(select(Recipient).where(Recipient.active == True).order_by(Recipient.email))  # noqa: E712
    return [(r.email, ref) for r in rows for ref in r.notify or []]


def cleaned(*, name: str, url: str) -> tuple[str, str]:
    """The name on one line (at most ``MAX_NAME`` characters) and the URL without surrounding space."""
    return " ".join(name.split())[:MAX_NAME], url.strip()


def check_new(session: Session, *, name: str, url: str, people: list[str] | None) -> None:
    """``Refused`` unless a channel ``name`` (cleaned) for ``url`` and ``people`` may be stored."""
    if not name or not url or len(url) > MAX_URL:
        raise Refused("name and URL are both needed (the URL at most 2000 characters)")
    if session.exec(select(NotifyChannel).where(NotifyChannel.name == name)).first():
        raise Refused(f"a channel named {name!r} exists already")
    if set(people or []) - set(session.exec(select(Person.name))):
        raise Refused("people: unknown person")


def add_channel(
    session: Session,
    *,
    name: str,
    url_sealed: str,
    service: str,
    people: list[str] | None,
    actor: User,
    now: datetime,
) -> NotifyChannel:
    """Store a checked channel (``check_new``) for the alerts of ``people`` (everybody when none)."""
    row = NotifyChannel(
        name=name,
        url_sealed=url_sealed,
        service=service[:32],
        people=sorted(set(people)) if people else None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    after = {"name": row.name, "service": row.service, "people": row.people}
    audit(session, user=actor, action="channel-add", target=f"channel:{row.id}", before=None, after=after)
    return row


def remove_channel(session: Session, *, channel_id: int, actor: User) -> NotifyChannel:
    """Stop a channel and forget its URL (the row stays)."""
    row = session.get(NotifyChannel, channel_id)
    if row is None:
        raise NotFound(f"no channel {channel_id}")
    before = {"name": row.name, "active": row.active}
    audit(
        session, user=actor, action="channel-remove", target=f"channel:{row.id}", before=before, after={"active": False}
    )
    row.active, row.url_sealed = False, ""
    session.add(row)
    return row
