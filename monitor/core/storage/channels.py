"""The config's part in alerts (issue 21): ``private`` on people, ``notify`` on recipients.

Run by ``config_sync.sync_config`` right after ``store.sync_watchlist`` has made the rows."""

from __future__ import annotations

from sqlmodel import Session, select

from monitor.core.config_file import Watchlist
from monitor.core.models import Person, Recipient


def sync_notify(session: Session, watchlist: Watchlist) -> None:
    """Copy each config person's ``private`` and each config recipient's ``notify`` to its row."""
    private = {entry.name: entry.private for entry in watchlist.people}
    for person in session.exec(select(Person).where(Person.name.in_(list(private)))):
        person.private = private[person.name]
        session.add(person)
    notify = {entry.email: list(entry.notify) or None for entry in watchlist.recipients}
    for recipient in session.exec(select(Recipient).where(Recipient.email.in_(list(notify)))):
        recipient.notify = notify[recipient.email]
        session.add(recipient)
    session.flush()
