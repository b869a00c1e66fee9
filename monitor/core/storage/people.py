"""Tracked people as the matcher needs them: names, exclusions and extra terms."""

from __future__ import annotations

from sqlmodel import Session, select

from monitor.core.models import Alias, Person
from monitor.core.storage.config_sync import TERM_KINDS


def active_people(session: Session) -> list[tuple[Person, list[str], list[str]]]:
    """Each active person not paused on the web, with their aliases and exclude phrases."""
    people = list(
        session.exec(
            select(Person).where(Person.active == True, Person.paused_at.is_(None)).order_by(Person.id)  # noqa: E712
        )
    )
    # Columns, not Alias objects: building thousands of model instances cost most of the
    # cached matcher's load (issue 15).
    by_person: dict[int, tuple[list[str], list[str]]] = {p.id: ([], []) for p in people}
    wanted = Alias.kind.in_(("alias", "exclude"))
    for person_id, kind, text in session.exec(select(Alias.person_id, Alias.kind, Alias.text).where(wanted)):
        if person_id in by_person:
            by_person[person_id][0 if kind == "alias" else 1].append(text)
    return [(p, sorted(by_person[p.id][0]), sorted(by_person[p.id][1])) for p in people]


def person_terms(session: Session) -> dict[int, dict]:
    """Person id → the matcher's extra keywords: hashtags, handles, context (tuples), gender."""
    terms: dict[int, dict] = {}
    for person_id, kind, text in session.exec(
        select(Alias.person_id, Alias.kind, Alias.text).where(Alias.kind.in_(TERM_KINDS))
    ):
        person = terms.setdefault(person_id, {})
        if kind == "gender":
            person["gender"] = text
        else:
            key = kind + "s" if kind != "context" else "context"
            person[key] = tuple(sorted((*person.get(key, ()), text)))
    return terms
