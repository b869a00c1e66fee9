"""Accounts added and changed by an admin on the web, audited.

Users live only in the database. An admin cannot demote or deactivate themselves, so the
last admin cannot lock everybody out; a password reset or a deactivation ends that user's
sessions. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from monitor import i18n
from monitor.core.models import User
from monitor.core.storage import sessions
from monitor.review.errors import Malformed, NotFound, Refused
from monitor.review.triage import audit
from monitor.review.users import ROLES, hash_password, normalise_email, password_problem

ACCOUNT_ACTIONS = ("role", "deactivate", "activate", "password")


def everyone(session: Session) -> list[User]:
    """Every account, by email."""
    return list(session.exec(select(User).order_by(User.email)))


def account_problem(*, email: str, role: str, password: str | None) -> str | None:
    """Why these account fields may not be used (one line), or None."""
    if "@" not in email.strip("@"):
        return i18n.gettext("email: %(email)s is not an email address") % {"email": repr(email)}
    if role not in ROLES:
        return f"role: expected one of {', '.join(ROLES)}"
    if password is not None and (problem := password_problem(password)):
        return problem
    return None


def create_account(session: Session, *, email: str, role: str, password: str, actor: User, now: datetime) -> User:
    """A new active account with ``role`` and an initial ``password``; ``Refused`` when the
    fields are bad or the email has an account."""
    email = normalise_email(email)
    problem = account_problem(email=email, role=role, password=password)
    if not problem and session.exec(select(User).where(User.email == email)).first():
        problem = f"email: {email} already has an account"
    if problem:
        raise Refused(problem)
    row = User(email=email, role=role, password_hash=hash_password(password), active=True, created_at=now)
    session.add(row)
    session.flush()
    audit(
        session,
        user=actor,
        action="user-add",
        target=f"user:{row.id}",
        before=None,
        after={"email": email, "role": role},
    )
    return row


def change_account(session: Session, *, user_id: int, action: str, role: str, password: str, actor: User) -> User:
    """``role`` (to ``role``), ``deactivate``, ``activate`` or ``password`` (reset to ``password``,
    which also ends that user's sessions, committing)."""
    row = session.get(User, user_id)
    if row is None:
        raise NotFound(f"no user {user_id}")
    if action not in ACCOUNT_ACTIONS:
        raise Malformed("action: expected role, deactivate, activate or password")
    if row.id == actor.id and action in ("role", "deactivate"):
        raise Refused(i18n.gettext("you cannot demote or deactivate yourself"))
    problem = account_problem(
        email=row.email,
        role=role if action == "role" else row.role,
        password=password if action == "password" else None,
    )
    if problem:
        raise Refused(problem)
    before = {"role": row.role, "active": row.active}
    if action == "role":
        row.role = role
    elif action == "password":
        row.password_hash = hash_password(password)
    else:
        row.active = action == "activate"
    session.add(row)
    after = {"role": row.role, "active": row.active} | ({"password": "reset"} if action == "password" else {})
    audit(session, user=actor, action=f"user-{action}", target=f"user:{row.id}", before=before, after=after)
    if action in ("password", "deactivate"):  # a reset or a deactivation signs the user out everywhere
        sessions.end_all(session, user_id=row.id)
    return row
