"""Accounts: argon2 hashes, create-or-update, authentication (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from monitor.core.db import session_scope
from monitor.core.models import User
from monitor.review import users
from monitor.review.users import add_user, authenticate


def _user(email: str) -> User:
    with session_scope() as session:
        return session.exec(select(User).where(User.email == email)).one()


@pytest.mark.product_argon2
def test_it_creates_a_user_with_a_hashed_password(settings):
    assert add_user(email="Ana@Example.org ", role="reviewer", password="correct horse") is True
    user = _user("ana@example.org")
    assert user.role == "reviewer" and user.active
    # argon2id at argon2-cffi's defaults (RFC 9106's second recommended set), not the tests' quick ones.
    defaults = PasswordHasher()
    assert user.password_hash.startswith(f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},p=")
    assert "correct horse" not in user.password_hash


@pytest.mark.product_argon2
def test_an_unknown_email_costs_one_product_hash_too(settings):
    add_user(email="ana@example.org", role="reviewer", password="correct horse")
    with session_scope() as session:
        assert authenticate(session, email="nobody@example.org", password="correct horse") is None
    assert users._dummy_hash(users._hasher).startswith(f"$argon2id$v=19$m={PasswordHasher().memory_cost},")


def test_it_updates_role_and_password_of_an_existing_user(settings):
    add_user(email="ana@example.org", role="reviewer", password="first password")
    assert add_user(email="ana@example.org", role="admin", password="second password") is False
    with session_scope() as session:
        assert len(session.exec(select(User)).all()) == 1
        assert authenticate(session, email="ana@example.org", password="first password") is None
        user = authenticate(session, email="ana@example.org", password="second password")
    assert user is not None and user.role == "admin"


def test_it_authenticates_the_right_password_only(settings):
    add_user(email="ana@example.org", role="reviewer", password="correct horse")
    with session_scope() as session:
        assert authenticate(session, email="ANA@example.org", password="correct horse").email == "ana@example.org"
        assert authenticate(session, email="ana@example.org", password="wrong horse") is None
        assert authenticate(session, email="nobody@example.org", password="correct horse") is None


def test_it_refuses_an_inactive_user(settings):
    add_user(email="ana@example.org", role="reviewer", password="correct horse")
    with session_scope() as session:
        session.exec(select(User)).one().active = False
    with session_scope() as session:
        assert authenticate(session, email="ana@example.org", password="correct horse") is None


def test_it_rejects_an_unknown_role(settings):
    with pytest.raises(ValueError, match="role"):
        add_user(email="ana@example.org", role="superuser", password="correct horse")


def test_the_session_stamp_changes_with_the_password_only(settings):
    from monitor.review.users import session_stamp

    add_user(email="ana@example.org", role="reviewer", password="correct horse")
    first = session_stamp(_user("ana@example.org"))
    assert session_stamp(_user("ana@example.org")) == first and len(first) == 16
    add_user(email="ana@example.org", role="admin", password="another horse")
    assert session_stamp(_user("ana@example.org")) != first
