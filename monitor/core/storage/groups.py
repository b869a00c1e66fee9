"""Group memberships (issue 20): create groups by name, set a person's or a user's groups.

Writes only; ``monitor.core.storage.access`` reads. Every function works in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from monitor.core.config_groups import MAX_GROUP_NAME, clean_names  # noqa: F401 - callers use them from here
from monitor.core.models import Person, User, utcnow
from monitor.core.models_groups import CaseGroup, PersonGroup, UserGroup


def ensure_groups(session: Session, names: Iterable[str]) -> dict[str, int]:
    """The ids of the groups ``names``, creating those that do not exist yet."""
    names = clean_names(names)
    existing = {g.name: g.id for g in session.exec(select(CaseGroup).where(CaseGroup.name.in_(names)))} if names else {}
    for name in names:
        if name not in existing:
            group = CaseGroup(name=name, created_at=utcnow())
            session.add(group)
            session.flush()
            existing[name] = group.id
    return existing


def group_names(session: Session) -> list[str]:
    """Every group's name, sorted."""
    return list(session.exec(select(CaseGroup.name).order_by(CaseGroup.name)))


def person_groups(session: Session, person_id: int) -> list[str]:
    """The names of the person's groups, sorted."""
    return list(
        session.exec(
            select(CaseGroup.name)
            .join(PersonGroup, PersonGroup.group_id == CaseGroup.id)
            .where(PersonGroup.person_id == person_id)
            .order_by(CaseGroup.name)
        )
    )


def user_groups(session: Session, user_id: int) -> list[str]:
    """The names of the user's groups, sorted."""
    return list(
        session.exec(
            select(CaseGroup.name)
            .join(UserGroup, UserGroup.group_id == CaseGroup.id)
            .where(UserGroup.user_id == user_id)
            .order_by(CaseGroup.name)
        )
    )


def set_person_groups(session: Session, person: Person, names: Iterable[str], *, origin: str) -> None:
    """Make ``names`` the person's groups exactly (``origin`` "config" or "web")."""
    wanted = set(ensure_groups(session, names).values())
    for row in session.exec(select(PersonGroup).where(PersonGroup.person_id == person.id)).all():
        if row.group_id not in wanted:
            session.delete(row)
        else:
            row.origin = origin
            wanted.discard(row.group_id)
            session.add(row)
    for group_id in sorted(wanted):
        session.add(PersonGroup(person_id=person.id, group_id=group_id, origin=origin))
    session.flush()


def set_user_groups(session: Session, user: User, names: Iterable[str]) -> None:
    """Make ``names`` the user's groups exactly."""
    wanted = set(ensure_groups(session, names).values())
    for row in session.exec(select(UserGroup).where(UserGroup.user_id == user.id)).all():
        if row.group_id in wanted:
            wanted.discard(row.group_id)
        else:
            session.delete(row)
    for group_id in sorted(wanted):
        session.add(UserGroup(user_id=user.id, group_id=group_id))
    session.flush()


def sync_config_groups(session: Session, entries: Iterable) -> None:
    """Give each config person (a ``PersonEntry``) exactly the groups its entry lists.

    ``set_person_groups`` for every entry, in three reads and one flush for all of them: per
    person it cost three round trips and a flush, 3 s of every command's start-up at 1,000
    people (issue 15)."""
    entries = list(entries)
    people = dict(session.exec(select(Person.name, Person.id)).all())
    group_ids = ensure_groups(session, [name for entry in entries for name in entry.groups])
    rows: dict[int, list[PersonGroup]] = {}
    for row in session.exec(select(PersonGroup)):
        rows.setdefault(row.person_id, []).append(row)
    for entry in entries:
        person_id = people.get(entry.name)
        if person_id is None:
            continue
        wanted = {group_ids[name] for name in clean_names(entry.groups)}
        for row in rows.get(person_id, []):
            if row.group_id not in wanted:
                session.delete(row)
            else:
                if row.origin != "config":
                    row.origin = "config"
                wanted.discard(row.group_id)
        for group_id in sorted(wanted):
            session.add(PersonGroup(person_id=person_id, group_id=group_id, origin="config"))
    session.flush()


def set_groups_of_email(email: str, names: Iterable[str]) -> None:
    """Make ``names`` the groups of the user with ``email`` (``monitor users add --groups``),
    in a transaction of its own on ``MONITOR_DATABASE_URL``."""
    from monitor.core.db import session_scope
    from monitor.core.email_address import normalise_email

    with session_scope() as session:
        user = session.exec(select(User).where(User.email == normalise_email(email))).one()
        set_user_groups(session, user, names)
