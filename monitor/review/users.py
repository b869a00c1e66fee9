"""Reviewer and admin accounts: argon2 password hashes, creation, authentication.

Passwords are hashed with argon2id (``argon2-cffi`` defaults). ``authenticate`` spends
the same work whether or not the email exists, so response time does not reveal
which addresses have accounts.
"""

from __future__ import annotations

import functools
import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from monitor.core.db import session_scope
from monitor.core.email_address import normalise_email  # noqa: F401 - the web and the CLI use it from here
from monitor.core.models import User, utcnow
from monitor.core.storage import sessions

ROLES = ("reviewer", "admin")
MIN_PASSWORD_LENGTH = 10  # the one rule, wherever a password is set: web, command line, demo

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the email is unknown, so that both paths cost one argon2 hash.
    Made on first use, not at import: every command and process that imports this module
    would otherwise pay one hash (a fifth of a second) to start."""
    return hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` that embeds its own salt and parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; never raises on a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used (one line), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password: use at least {MIN_PASSWORD_LENGTH} characters"
    return None


def add_user(*, email: str, role: str, password: str) -> bool:
    """Create the user, or update the role and password of an existing one (re-activating it).

    Returns True when the user was created, False when it existed. Raises ValueError on an
    unknown role. Uses the database of ``MONITOR_DATABASE_URL``.
    """
    if role not in ROLES:
        raise ValueError(f"role: expected one of {', '.join(ROLES)}, got {role!r}")
    if problem := password_problem(password):
        raise ValueError(problem)
    email = normalise_email(email)
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        created = user is None
        user = user or User(email=email, password_hash="", created_at=utcnow())
        user.role = role
        user.password_hash = hash_password(password)
        user.active = True
        session.add(user)
        if not created:  # a new password: every session signed in with the old one ends
            sessions.end_all(session, user_id=user.id)
    return created


def session_stamp(user: User) -> str:
    """A short digest of the user's password hash, kept in the session at login: when the
    password is reset the stamp no longer matches and every older session ends."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        verify_password(_dummy_hash(_hasher), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user
