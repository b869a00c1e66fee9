"""Per-case access (issue 20): the one rule deciding which people and mentions a user sees.

A person is *visible* to a user when the user sees everything, when the person belongs to no
group, or when the person belongs to one of the user's groups. A user sees everything when an
admin, or when a member of no group (so the upgrade that added groups took nobody's access
away). A mention is visible when it names at least one visible person (or names nobody): a
mention of people of several groups is visible to a reviewer of any of them, and the names of
the other people on it are shown as ``OTHER_PERSON``.

Every route asks ``scope_for(session, user)`` once and applies the ``Scope``'s SQL conditions;
what the reviewer may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Mention, MentionPerson, Person, User
from monitor.core.models_groups import PersonGroup, UserGroup

OTHER_PERSON = "another tracked person"


@dataclass(frozen=True)
class Scope:
    """What one user sees: ``groups`` None means everything, else the ids of the user's groups."""

    groups: frozenset[int] | None = None

    @property
    def restricted(self) -> bool:
        """True when some people (those of other groups only) are hidden."""
        return self.groups is not None

    def person_visible(self, person_id) -> sa.ColumnElement[bool]:
        """SQL: the person ``person_id`` (a column or value) is visible under this scope."""
        if self.groups is None:
            return sa.true()
        member = aliased_membership()
        in_no_group = ~sa.exists().where(member.c.person_id == person_id)
        in_mine = sa.exists().where(PersonGroup.person_id == person_id, PersonGroup.group_id.in_(sorted(self.groups)))
        return sa.or_(in_no_group, in_mine)

    def mention_visible(self, mention_id=Mention.id) -> sa.ColumnElement[bool]:
        """SQL: the mention ``mention_id`` (default ``Mention.id``) names a visible person, or nobody."""
        if self.groups is None:
            return sa.true()
        names_nobody = ~sa.exists().where(MentionPerson.mention_id == mention_id)
        names_visible = sa.exists().where(
            MentionPerson.mention_id == mention_id, self.person_visible(MentionPerson.person_id)
        )
        return sa.or_(names_nobody, names_visible)


EVERYTHING = Scope()


def aliased_membership():
    """A second ``person_group`` in the same statement (the "in no group" test beside "in mine")."""
    return PersonGroup.__table__.alias("pg_any")


def scope_for(session: Session, user: User | None) -> Scope:
    """The scope of ``user``: everything for admins and for users in no group."""
    if user is None or user.role == "admin":
        return EVERYTHING
    groups = frozenset(session.exec(select(UserGroup.group_id).where(UserGroup.user_id == user.id)))
    return Scope(groups) if groups else EVERYTHING


def can_see_person(session: Session, scope: Scope, person_id: int) -> bool:
    """True when the person exists and is visible under ``scope``."""
    found = session.exec(select(Person.id).where(Person.id == person_id, scope.person_visible(Person.id))).first()
    return found is not None


def visible_mention_ids(session: Session, scope: Scope, mention_ids: Iterable[int]) -> list[int]:
    """Those of ``mention_ids`` that exist and are visible under ``scope``, in the given order."""
    wanted = list(dict.fromkeys(mention_ids))
    if not wanted:
        return []
    found = set(session.exec(select(Mention.id).where(Mention.id.in_(wanted), scope.mention_visible())))
    return [i for i in wanted if i in found]


def can_see_mention(session: Session, scope: Scope, mention_id: int) -> bool:
    """True when the mention exists and is visible under ``scope``."""
    return bool(visible_mention_ids(session, scope, [mention_id]))


def shown_name(name: str, visible: bool) -> str:
    """The name as the page shows it: ``OTHER_PERSON`` for a person the reader may not see."""
    return name if visible else OTHER_PERSON


def visible_person_ids(session: Session, scope: Scope) -> set[int] | None:
    """The ids of the people ``scope`` shows; None when it shows everyone."""
    if not scope.restricted:
        return None
    return set(session.exec(select(Person.id).where(scope.person_visible(Person.id))))


def scope_for_email(session: Session, email: str) -> Scope:
    """The scope of the active user with ``email`` (a digest recipient who signs in too);
    everything for a recipient who is no user: the admin who listed them chose their people."""
    from monitor.core.email_address import normalise_email

    user = session.exec(select(User).where(User.email == normalise_email(email), User.active == sa.true())).first()
    return scope_for(session, user)
