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
    aliases = session.exec(select(Alias).where(Alias.person_id.in_([p.id for p in people])))
    by_person: dict[int, tuple[list[str], list[str]]] = {p.id: ([], []) for p in people}
    for alias in aliases:
        if alias.kind in ("alias", "exclude"):
            by_person[alias.person_id][0 if alias.kind == "alias" else 1].append(alias.text)
    return [(p, sorted(by_person[p.id][0]), sorted(by_person[p.id][1])) for p in people]


def person_terms(session: Session) -> dict[int, dict]:
    """Person id → the matcher's extra keywords: hashtags, handles, context (tuples), gender."""
    terms: dict[int, dict] = {}
    for alias in session.exec(select(Alias).where(Alias.kind.in_(TERM_KINDS))):
        person = terms.setdefault(alias.person_id, {})
        if alias.kind == "gender":
            person["gender"] = alias.text
        else:
            key = alias.kind + "s" if alias.kind != "context" else "context"
            person[key] = tuple(sorted((*person.get(key, ()), alias.text)))
    return terms
