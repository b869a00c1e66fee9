"""The person key ``preserve``: copied from the config onto config people at every sync."""

from __future__ import annotations

from sqlmodel import Session, select

from monitor.core.models import Person


def sync_preserve(session: Session, *, watchlist) -> None:
    """Set ``Person.preserve`` of each config person from their entry (False when absent)."""
    wanted = {entry.name: entry.preserve for entry in watchlist.people}
    for person in session.exec(select(Person).where(Person.origin == "config")):
        preserve = wanted.get(person.name, False)
        if person.preserve != preserve:
            person.preserve = preserve
            session.add(person)
    session.flush()
