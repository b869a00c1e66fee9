"""Authorisation matrix: every route without a session, reviewers on admin routes, every POST
without a CSRF token; and the login rate limit. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core.models import (
    AuditEntry,
    LoginFailure,
    Mention,
    Person,
    ReviewDecision,
    Source,
    User,
    utcnow,
)
from monitor.review.users import add_user
from monitor.web.app import create_app
from monitor.web.ratelimit import MAX_FAILURES, WINDOW_SECONDS
from tests.support.web import PASSWORD, _db, add_mention, add_reviewer, csrf_from, login

ADMIN = "admin@example.org"
# No session needed: the login form, health, Swagger UI's two static files, and the signed-token
# unsubscribe link (RFC 8058).
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
    ("GET", "/static/swagger/{name}"),
    ("GET", "/digest/unsubscribe"),
    ("POST", "/digest/unsubscribe"),
}
ADMIN_ONLY = {
    ("GET", "/sources"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/exclusions"),
    ("POST", "/admin/exclusions/{suggestion_id}"),
    ("GET", "/admin/users"),
    ("GET", "/digest/preview"),
    ("GET", "/admin/people"),
    ("POST", "/admin/people"),
    ("GET", "/admin/people/{person_id}"),
    ("POST", "/admin/people/{person_id}"),
    ("POST", "/admin/people/{person_id}/terms"),
    ("POST", "/admin/people/{person_id}/terms/{term_id}/delete"),
    ("POST", "/admin/sources"),
    ("POST", "/admin/sources/{source_id}"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{user_id}"),
    ("GET", "/admin/recipients"),
    ("POST", "/admin/recipients"),
    ("POST", "/admin/recipients/{recipient_id}/delete"),
    ("POST", "/admin/people/{person_id}/pause"),
    ("GET", "/admin/search"),
}  # issue 16: search coverage
ADMIN_ONLY |= {("POST", "/admin/two-factor"), ("POST", "/admin/users/{user_id}/two-factor/reset")}  # issue 20
ADMIN_ONLY |= {("POST", "/admin/source-discovery")}  # issue 16: feed discovery
ADMIN_ONLY |= {("POST", "/admin/people/{person_id}/evidence")}  # issue 18: a person's evidence bundle
ADMIN_ONLY |= {
    ("GET", "/admin/channels"),
    ("POST", "/admin/channels"),
    ("POST", "/admin/channels/{channel_id}/delete"),
}  # issue 21: alert channels
# Private feeds open with a per-user token instead of a session: without one they do not exist.
TOKEN_ONLY = {("GET", "/feeds/review.atom"), ("GET", "/feeds/people/{person_id}.atom")}


def routes(app) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, docs included."""
    found = set()
    pending = list(app.routes)
    while pending:
        route = pending.pop()
        if hasattr(route, "original_router"):  # FastAPI's included router (no extra prefix here)
            pending += route.original_router.routes
        elif isinstance(route, APIRoute) or getattr(route, "methods", None):
            found |= {(method, route.path) for method in route.methods - {"HEAD"}}
    return sorted(found)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def app(settings):
    return create_app()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def test_the_matrix_knows_every_route(app):
    served = set(routes(app))
    assert PUBLIC - {("GET", "/healthz")} <= served and ADMIN_ONLY <= served
    # A new admin route cannot slip past the reviewer test below.
    assert {(m, p) for m, p in served if p.startswith(("/admin", "/sources"))} <= ADMIN_ONLY
    assert ("POST", "/review/act") in served and ("GET", "/people/{person_id}") in served
    assert ("POST", "/spikes/{spike_id}/expected") in served  # reviewers' spike mark: session and CSRF checked below


def test_every_route_refuses_a_visitor_without_a_session(app, client):
    add_mention()
    for method, path in routes(app):
        if (method, path) in PUBLIC:
            continue
        token = csrf_from(client.get("/login").text)  # an anonymous session's token: CSRF passes, login does not
        url = concrete(path)
        response = client.request(
            method, url, data={"csrf_token": token} if method == "POST" else None, follow_redirects=False
        )
        if (method, path) in TOKEN_ONLY:
            assert response.status_code == 404, (method, url, response.status_code)
        elif url.startswith(("/api/", "/openapi.json")):
            assert response.status_code == 401, (method, url, response.status_code)
        else:
            assert (response.status_code, response.headers.get("location")) == (303, "/login"), (method, url)


def test_every_admin_route_refuses_a_reviewer(app, client):
    add_reviewer()
    assert login(client).status_code == 303
    token = csrf_from(client.get("/review").text)
    for method, path in sorted(ADMIN_ONLY):
        form = {
            "csrf_token": token,
            "decision": "accept",
            "action": "remove",
            "name": "Eve",
            "email": "e@example.org",
            "url": "https://evil.example/feed",
            "role": "admin",
            "password": "long enough password",
            "kind": "alias",
            "text": "Eve",
        }
        response = client.request(method, concrete(path), data=form, follow_redirects=False)
        assert response.status_code == 403, (method, path)
    with _db() as session:  # nothing the reviewer sent changed anything
        assert (
            session.exec(select(AuditEntry).where(~AuditEntry.target.startswith("signin:"))).all() == []
            and session.exec(select(Person)).all() == []
        )
        assert session.exec(select(Source)).all() == [] and len(session.exec(select(User)).all()) == 1


def test_admin_routes_open_for_an_admin(client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    assert login(client, email=ADMIN).status_code == 303
    for method, path in sorted(ADMIN_ONLY):
        if method == "GET" and "{" not in path:
            assert client.get(path).status_code == 200, path


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    mention_id = add_mention()
    assert login(client, email=ADMIN).status_code == 303
    posts = [path for method, path in routes(app) if method == "POST" and path != "/digest/unsubscribe"]
    assert {"/login", "/logout", "/review/act", "/review/{mention_id}"} <= set(posts)
    for path in posts:
        for data in ({}, {"csrf_token": "forged"}):
            form = {"ids": str(mention_id), "action": "label", "value": "news", "decision": "confirmed", **data}
            response = client.post(concrete(path).replace("/1", f"/{mention_id}"), data=form, follow_redirects=False)
            assert response.status_code == 403, path
        response = client.post(concrete(path), json={"decision": "confirmed"}, follow_redirects=False)
        assert response.status_code == 403, path
    with _db() as session:
        assert session.get(Mention, mention_id).status == "new"
        assert (
            session.exec(select(ReviewDecision)).all() == []
            and session.exec(select(AuditEntry).where(~AuditEntry.target.startswith("signin:"))).all() == []
        )
    assert client.get("/review").status_code == 200  # still logged in: logout was refused too


def test_login_is_rate_limited_per_email(client):
    add_reviewer()
    for _ in range(5):
        assert login(client, password="wrong").status_code == 401
    blocked = login(client)  # even the right password waits now
    assert blocked.status_code == 429 and "Too many failed logins" in blocked.text
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_a_successful_login_resets_the_failure_count(client):
    add_reviewer()
    for _ in range(4):
        login(client, password="wrong")
    assert login(client).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/review").text)})
    for _ in range(4):
        assert login(client, password="wrong").status_code == 401
    assert login(client).status_code == 303


def test_the_session_cookie_is_http_only_and_same_site(client):
    add_reviewer()
    cookie = login(client).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_the_login_limit_is_shared_by_every_web_process(client):
    add_reviewer()
    with TestClient(create_app()) as other_process:  # its own app state: only the database is shared
        for attempt in range(5):
            assert login(client if attempt % 2 else other_process, password="wrong").status_code == 401
        assert login(other_process).status_code == 429 and login(client).status_code == 429
    with _db() as session:
        assert len(session.exec(select(LoginFailure)).all()) == 10  # five per key: the address and the email


def test_failures_older_than_the_window_no_longer_count(client):
    add_reviewer()
    with _db() as session:
        stale = utcnow() - timedelta(seconds=WINDOW_SECONDS + 1)
        session.add_all(LoginFailure(key="email:reviewer@example.org", at=stale) for _ in range(MAX_FAILURES))
    assert login(client).status_code == 303
    with _db() as session:
        assert session.exec(select(LoginFailure)).all() == []  # forgotten at the successful login
