"""Server-side sessions: a cookie works only while its record lives. Logout, a password change,
a deactivation, "sign out everywhere" and the absolute lifetime end it, copies included.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core.models import User, WebSession
from monitor.core.storage import sessions
from monitor.review.users import add_user
from monitor.web.app import SESSION_COOKIE, create_app
from tests.support.web import EMAIL, PASSWORD, _db, add_reviewer, csrf_from, login

ADMIN = "admin@example.org"


@pytest.fixture
def app(settings):
    return create_app()


def signed_in(app, email: str = EMAIL, password: str = PASSWORD, agent: str = "testclient") -> TestClient:
    client = TestClient(app, headers={"user-agent": agent})
    assert login(client, email=email, password=password).status_code == 303
    return client


def copy_of(app, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = TestClient(app)
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


def works(client: TestClient) -> bool:
    response = client.get("/review", follow_redirects=False)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def test_a_copied_cookie_stops_working_after_logout(app):
    add_reviewer()
    browser = signed_in(app)
    thief = copy_of(app, browser)
    assert works(thief)  # the copy is as good as the original while the session lives
    browser.post("/logout", data={"csrf_token": csrf_from(browser.get("/review").text)})
    assert not works(thief) and not works(browser)
    with _db() as session:
        assert session.exec(select(WebSession)).one().revoked_at is not None


def test_a_cookie_kept_in_use_ends_at_the_absolute_lifetime(app, monkeypatch):
    monkeypatch.setattr(sessions, "LIFETIME", timedelta(seconds=2))
    monkeypatch.setattr(sessions, "TOUCH_EVERY", timedelta(0))  # every request refreshes it: as busy as can be
    add_reviewer()
    browser = signed_in(app)
    started, results = time.monotonic(), []
    while True:  # each response re-signs the cookie: it never idles out
        asked_at = time.monotonic() - started
        results.append(works(browser))
        if asked_at > 2.5:  # asked after the lifetime: by when it was asked, not by when the loop ends
            break  # (a loaded machine's request can stall past the end of a timed loop)
        time.sleep(0.2)
    assert results[0] and not results[-1]
    assert results == sorted(results, reverse=True)  # once it has ended it stays ended
    with _db() as session:
        record = session.exec(select(WebSession)).one()
        assert record.expires_at - record.created_at == timedelta(seconds=2)


def test_sign_out_everywhere_ends_every_other_session(app):
    add_reviewer()
    laptop, phone = signed_in(app, agent="Laptop browser"), signed_in(app, agent="Phone browser")
    stolen = copy_of(app, phone)
    page = laptop.get("/account/sessions")
    assert page.status_code == 200 and "Laptop browser" in page.text and "Phone browser" in page.text
    assert page.headers["cache-control"] == "no-store"
    laptop.post("/account/sessions/end-others", data={"csrf_token": csrf_from(page.text)})
    assert works(laptop) and not works(phone) and not works(stolen)
    page = laptop.get("/account/sessions")
    assert "Phone browser" not in page.text and "this browser" in page.text


def test_a_user_can_end_one_of_their_sessions_but_not_someone_elses(app):
    add_reviewer()
    add_reviewer(email="other@example.org")
    mine_here, mine_there = signed_in(app), signed_in(app)
    theirs = signed_in(app, email="other@example.org")
    with _db() as session:
        rows = session.exec(select(WebSession).order_by(WebSession.id)).all()
        there_id, their_id = rows[1].id, rows[2].id
    token = csrf_from(mine_here.get("/account/sessions").text)
    mine_here.post(f"/account/sessions/{their_id}/end", data={"csrf_token": token})
    assert works(theirs)
    mine_here.post(f"/account/sessions/{there_id}/end", data={"csrf_token": token})
    assert not works(mine_there) and works(mine_here)


def test_a_password_reset_or_deactivation_by_an_admin_ends_the_users_sessions(app):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    add_reviewer()
    admin = signed_in(app, email=ADMIN)
    with _db() as session:
        reviewer_id = session.exec(select(User.id).where(User.email == EMAIL)).one()
    reviewer = signed_in(app)
    token = csrf_from(admin.get("/admin/users").text)
    admin.post(
        f"/admin/users/{reviewer_id}",
        data={"csrf_token": token, "action": "password", "password": "another long password"},
    )
    assert not works(reviewer)
    reviewer = signed_in(app, password="another long password")
    admin.post(f"/admin/users/{reviewer_id}", data={"csrf_token": token, "action": "deactivate"})
    assert not works(reviewer)
    admin.post(f"/admin/users/{reviewer_id}", data={"csrf_token": token, "action": "activate"})
    assert not works(reviewer)  # re-activation does not bring old sessions back
    with _db() as session:
        live = session.exec(
            select(WebSession).where(WebSession.user_id == reviewer_id, WebSession.revoked_at == None)
        ).all()
        assert live == []


def test_a_password_set_on_the_command_line_ends_the_users_sessions(app):
    add_reviewer()
    browser = signed_in(app)
    add_reviewer(password="a brand new password")  # what `monitor users add` does for an existing user
    assert not works(browser)


def test_the_database_keeps_only_a_hash_of_the_cookie_token(app):
    add_reviewer()
    browser = signed_in(app)
    with _db() as session:
        stored = session.exec(select(WebSession.token_hash)).one()
    cookie = browser.cookies[SESSION_COOKIE]
    assert stored not in cookie and len(stored) == 64
    # Forging a cookie needs the token, which only the browser holds: the hash is no use as one.
    with _db() as session:
        assert sessions.find(session, stored) is None
