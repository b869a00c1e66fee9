"""Per-case access (issue 20): the "reviewer of another group" column of the authorisation
matrix, over every route the app serves, and the listings, digest and upgrade case. On
SQLite and PostgreSQL.

The reviewer signed in belongs to "Police cases"; every id in the URLs below is of "Border
cases" (Boris, his mention, his story, his spike). No answer may carry his name or his
mention's title, and whatever names him answers 404 (or 403 where only admins go at all).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core.models import AuditEntry, Mention, User, utcnow
from monitor.core.storage import access
from monitor.notify.digest import DigestBuilder
from monitor.review.feed_tokens import issue, token_string
from monitor.web.app import create_app
from tests.support.access import (
    ADMIN,
    HIDDEN_NAME,
    HIDDEN_TITLE,
    PLAIN_REVIEWER,
    POLICE_REVIEWER,
    build_world,
    db,
    login,
)

# (method, path) -> (URL, form or JSON body, expected status; None: any status below 500).
# {…} fields come from the World of tests.support.access and the reader's feed token.
ADMIN_ONLY = 403
MATRIX: dict[tuple[str, str], tuple[str, dict | None, int | None]] = {
    ("GET", "/"): ("/", None, 303),
    ("GET", "/review"): ("/review?person={boris}", None, 404),
    ("GET", "/review/fresh"): ("/review/fresh?person={boris}", None, 404),
    ("POST", "/review/act"): ("/review/act", {"ids": "{border_mention}", "action": "label", "value": "news"}, 404),
    ("POST", "/review/{mention_id}"): ("/review/{border_mention}", {"decision": "confirmed"}, 404),
    ("GET", "/review/export.csv"): ("/review/export.csv?person={boris}", None, 404),
    ("GET", "/review/export.atom"): ("/review/export.atom?person={boris}", None, 404),
    ("GET", "/people"): ("/people", None, 200),
    ("GET", "/people/{person_id}"): ("/people/{boris}", None, 404),
    ("POST", "/people/{person_id}/alerts"): ("/people/{boris}/alerts", {"alert": "eager"}, ADMIN_ONLY),
    ("GET", "/mentions/{mention_id}"): ("/mentions/{border_mention}", None, 404),
    ("GET", "/clusters/{cluster_id}"): ("/clusters/{border_cluster}", None, 404),
    ("POST", "/spikes/{spike_id}/expected"): ("/spikes/{border_spike}/expected", {"expected": "1"}, 404),
    ("GET", "/feeds/review.atom"): ("/feeds/review.atom?token={token}&person={boris}", None, 404),
    ("GET", "/feeds/people/{person_id}.atom"): ("/feeds/people/{boris}.atom?token={token}", None, 404),
    ("GET", "/api/me"): ("/api/me", None, 200),
    ("GET", "/api/mentions"): ("/api/mentions", None, 200),
    ("POST", "/api/mentions/{mention_id}/decision"): (
        "/api/mentions/{border_mention}/decision",
        {"decision": "confirmed"},
        404,
    ),
    ("GET", "/api/spikes"): ("/api/spikes", None, 200),
    ("GET", "/api/cards"): ("/api/cards?person={boris}", None, 404),
    ("POST", "/api/cards/act"): ("/api/cards/act", {"ids": ["{border_mention}"], "action": "escalate"}, 404),
    ("GET", "/digest/preview"): ("/digest/preview", None, ADMIN_ONLY),
    ("GET", "/digest/preview/email"): ("/digest/preview/email", None, ADMIN_ONLY),
    ("GET", "/digest/unsubscribe"): ("/digest/unsubscribe", None, None),
    ("POST", "/digest/unsubscribe"): ("/digest/unsubscribe", {}, None),
    ("POST", "/digest/subscription"): ("/digest/subscription", {"people": HIDDEN_NAME}, 400),
    ("GET", "/account/sessions"): ("/account/sessions", None, 200),
    ("POST", "/account/sessions/end-others"): ("/account/sessions/end-others", {}, None),
    ("POST", "/account/sessions/{session_id}/end"): ("/account/sessions/999999/end", {}, None),
    ("GET", "/settings"): ("/settings", None, 200),
    ("POST", "/settings/timezone"): ("/settings/timezone", {"timezone": "UTC"}, None),
    ("POST", "/settings/feed-token"): ("/settings/feed-token", {}, None),
    ("GET", "/metrics"): ("/metrics", None, None),
    ("GET", "/healthz"): ("/healthz", None, 200),
    ("GET", "/openapi.json"): ("/openapi.json", None, 200),
    ("GET", "/docs"): ("/docs", None, 200),
    ("GET", "/static/swagger/{name}"): ("/static/swagger/swagger-ui.css", None, 200),
    ("GET", "/login"): ("/login", None, None),  # signed in: on to the queue
    ("GET", "/sources"): ("/sources", None, ADMIN_ONLY),
    ("GET", "/admin/audit"): ("/admin/audit", None, ADMIN_ONLY),
    ("GET", "/admin/exclusions"): ("/admin/exclusions", None, ADMIN_ONLY),
    ("POST", "/admin/exclusions/{suggestion_id}"): ("/admin/exclusions/1", {"decision": "accept"}, ADMIN_ONLY),
    ("GET", "/admin/people"): ("/admin/people", None, ADMIN_ONLY),
    ("POST", "/admin/people"): ("/admin/people", {"name": "Eve Example"}, ADMIN_ONLY),
    ("GET", "/admin/people/{person_id}"): ("/admin/people/{boris}", None, ADMIN_ONLY),
    ("POST", "/admin/people/{person_id}"): ("/admin/people/{boris}", {"name": "Eve Example"}, ADMIN_ONLY),
    ("POST", "/admin/people/{person_id}/terms"): (
        "/admin/people/{boris}/terms",
        {"kind": "alias", "text": "Eve"},
        ADMIN_ONLY,
    ),
    ("POST", "/admin/people/{person_id}/terms/{term_id}/delete"): (
        "/admin/people/{boris}/terms/1/delete",
        {},
        ADMIN_ONLY,
    ),
    ("POST", "/admin/people/{person_id}/pause"): ("/admin/people/{boris}/pause", {}, ADMIN_ONLY),
    ("POST", "/admin/sources"): ("/admin/sources", {"url": "https://evil.example/feed"}, ADMIN_ONLY),
    ("POST", "/admin/sources/{source_id}"): ("/admin/sources/1", {"action": "remove"}, ADMIN_ONLY),
    ("GET", "/admin/users"): ("/admin/users", None, ADMIN_ONLY),
    ("POST", "/admin/users"): ("/admin/users", {"email": "e@example.org", "role": "admin"}, ADMIN_ONLY),
    ("POST", "/admin/users/{user_id}"): ("/admin/users/1", {"action": "remove"}, ADMIN_ONLY),
    ("GET", "/admin/recipients"): ("/admin/recipients", None, ADMIN_ONLY),
    ("POST", "/admin/recipients"): ("/admin/recipients", {"email": "e@example.org"}, ADMIN_ONLY),
    ("POST", "/admin/recipients/{recipient_id}/delete"): ("/admin/recipients/1/delete", {}, ADMIN_ONLY),
    # Issue 16: search coverage and feed discovery (admins only).
    ("GET", "/admin/search"): ("/admin/search", None, ADMIN_ONLY),
    ("POST", "/admin/source-discovery"): ("/admin/source-discovery", {"address": "https://example.org"}, ADMIN_ONLY),
    # Issue 18: a person's evidence bundle (admins only).
    ("POST", "/admin/people/{person_id}/evidence"): ("/admin/people/{boris}/evidence", {}, ADMIN_ONLY),
    ("GET", "/evidence/mentions/{mention_id}"): ("/evidence/mentions/{border_mention}", None, 404),
    # Issue 20: the reader's own second factors; the admin's requirement and resets.
    ("GET", "/account/two-factor"): ("/account/two-factor", None, 200),
    ("GET", "/account/two-factor/totp"): ("/account/two-factor/totp", None, None),
    ("POST", "/account/two-factor/totp"): ("/account/two-factor/totp", {"code": "000000"}, None),
    ("POST", "/account/two-factor/totp/remove"): ("/account/two-factor/totp/remove", {}, None),
    ("POST", "/account/two-factor/recovery"): ("/account/two-factor/recovery", {}, None),
    ("POST", "/account/passkeys/options"): ("/account/passkeys/options", {}, None),
    ("POST", "/account/passkeys"): ("/account/passkeys", {}, None),
    ("POST", "/account/passkeys/{passkey_id}/remove"): ("/account/passkeys/999999/remove", {}, None),
    ("GET", "/login/second-factor"): ("/login/second-factor", None, None),
    ("POST", "/login/second-factor"): ("/login/second-factor", {"code": "000000"}, None),
    ("POST", "/login/passkey/options"): ("/login/passkey/options", {}, None),
    ("POST", "/login/passkey"): ("/login/passkey", {}, None),
    ("POST", "/admin/two-factor"): ("/admin/two-factor", {"required": "true"}, ADMIN_ONLY),
    ("POST", "/admin/users/{user_id}/two-factor/reset"): ("/admin/users/1/two-factor/reset", {}, ADMIN_ONLY),
    # Issue 21: the reader's language; alert channels (admins only).
    ("POST", "/settings/language"): ("/settings/language", {"language": "en"}, None),
    ("GET", "/admin/channels"): ("/admin/channels", None, ADMIN_ONLY),
    ("POST", "/admin/channels"): ("/admin/channels", {"name": "x", "url": "json://127.0.0.1/x"}, ADMIN_ONLY),
    ("POST", "/admin/channels/{channel_id}/delete"): ("/admin/channels/1/delete", {}, ADMIN_ONLY),
    # Last: they end or replace the session the walk runs in.
    ("POST", "/login"): ("/login", {"email": POLICE_REVIEWER, "password": "wrong password"}, None),
    ("POST", "/logout"): ("/logout", {}, None),
}
# Answers that may repeat what the reviewer sent (the name they typed), not what the monitor holds.
ECHOES = {("POST", "/digest/subscription")}


def served_routes(app) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves."""
    found, pending = set(), list(app.routes)
    while pending:
        route = pending.pop()
        if hasattr(route, "original_router"):
            pending += route.original_router.routes
        elif isinstance(route, APIRoute) or getattr(route, "methods", None):
            found |= {(method, route.path) for method in route.methods - {"HEAD"}}
    return found


@pytest.fixture
def app(settings):
    return create_app()


@pytest.fixture
def world(settings):
    return build_world()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def _feed_token(email: str) -> str:
    with db() as session:
        return token_string(issue(session, session.exec(select(User).where(User.email == email)).one()))


def _fill(value, fields: dict):
    if isinstance(value, str):
        return value.format(**fields)
    if isinstance(value, list):
        return [int(v) if re.fullmatch(r"\d+", v) else v for v in (_fill(x, fields) for x in value)]
    if isinstance(value, dict):
        return {k: _fill(v, fields) for k, v in value.items()}
    return value


def _send(client: TestClient, method: str, url: str, body: dict | None, csrf: str):
    if method == "GET":
        return client.get(url, follow_redirects=False)
    if url.startswith("/api/"):
        return client.post(url, json=body, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    return client.post(url, data={**(body or {}), "csrf_token": csrf}, follow_redirects=False)


def test_the_matrix_knows_every_route(app):
    # A new route must say here what a reviewer of another group gets from it.
    assert served_routes(app) == set(MATRIX)


def test_a_reviewer_of_another_group_reaches_nothing_of_it_by_any_route(app, client, world):
    fields = {**vars(world), "token": _feed_token(POLICE_REVIEWER)}
    csrf = login(client, POLICE_REVIEWER)
    for (method, path), (template, body, expected) in MATRIX.items():  # in the order written: logout last
        response = _send(client, method, _fill(template, fields), _fill(body, fields), csrf)
        if expected is None:
            assert response.status_code < 500, (method, path, response.status_code)
        else:
            assert response.status_code == expected, (method, path, response.status_code, response.text[:200])
        if (method, path) not in ECHOES:
            assert HIDDEN_NAME not in response.text and HIDDEN_TITLE not in response.text, (method, path)
    with db() as session:  # nothing the reviewer sent touched Boris's mention
        mention = session.get(Mention, world.border_mention)
        assert (mention.status, mention.review_state, mention.label) == ("new", "unreviewed", None)
        audited = {a.target for a in session.exec(select(AuditEntry))}
        assert f"mention:{world.border_mention}" not in audited


def test_listings_show_the_readers_group_and_people_of_no_group_only(client, world):
    login(client, POLICE_REVIEWER)
    mentions = {m["id"]: m for m in client.get("/api/mentions").json()}
    assert set(mentions) == {world.police_mention, world.both_mention, world.free_mention}
    # A story of both cases is the police reviewer's too, without Boris's name on it.
    assert mentions[world.both_mention]["people"] == ["Alice Police", access.OTHER_PERSON]
    cards = client.get("/api/cards?state=all").json()["cards"]
    assert {c["mention"]["id"] for c in cards} == set(mentions)
    rows = list(csv.DictReader(io.StringIO(client.get("/review/export.csv?state=all").text)))
    assert {int(r["id"]) for r in rows} == set(mentions)
    assert client.get("/api/spikes").json() == []
    page = client.get("/review?state=all").text
    assert "Police hearing" in page and "Nobody hearing" in page and access.OTHER_PERSON in page
    people = client.get("/people").text
    assert "Alice Police" in people and "Nadia Nobody" in people and HIDDEN_NAME not in people
    assert client.get(f"/people/{world.alice}").status_code == 200
    assert client.get(f"/mentions/{world.both_mention}").status_code == 200


def test_acting_on_a_shared_story_works_and_a_hidden_card_is_not_found(client, world):
    csrf = login(client, POLICE_REVIEWER)
    done = client.post(
        "/api/cards/act",
        json={"ids": [world.both_mention, world.border_mention], "action": "escalate"},
        headers={"X-CSRF-Token": csrf},
    )
    assert done.status_code == 200 and [m["id"] for m in done.json()] == [world.both_mention]
    with db() as session:
        assert session.get(Mention, world.both_mention).review_state == "escalated"
        assert session.get(Mention, world.border_mention).review_state == "unreviewed"


@pytest.mark.parametrize("email", [PLAIN_REVIEWER, ADMIN])
def test_a_reviewer_in_no_group_and_an_admin_see_everything(client, world, email):
    # The upgrade case: every reviewer existed before groups did and belongs to none.
    login(client, email)
    ids = {m["id"] for m in client.get("/api/mentions").json()}
    assert world.border_mention in ids and len(ids) == 4
    both = next(m for m in client.get("/api/mentions").json() if m["id"] == world.both_mention)
    assert both["people"] == ["Alice Police", HIDDEN_NAME]
    assert client.get(f"/people/{world.boris}").status_code == 200
    assert client.get(f"/mentions/{world.border_mention}").status_code == 200
    assert HIDDEN_TITLE in client.get(f"/review?person={world.boris}&state=all").text
    assert [s["person"] for s in client.get("/api/spikes").json()] == [HIDDEN_NAME]


def test_a_digest_for_a_reviewer_of_a_group_leaves_other_groups_out(world):
    zone = ZoneInfo("UTC")
    day = (utcnow() - timedelta(hours=1)).date()
    with db() as session:
        builder = DigestBuilder(session)
        police = builder.build(email=POLICE_REVIEWER, people=None, day=day, zone=zone)
        plain = builder.build(email=PLAIN_REVIEWER, people=None, day=day, zone=zone)
    named = lambda digest: {s.name for s in digest.sections + digest.rows} | set(digest.quiet)
    assert named(police) == {"Alice Police", "Nadia Nobody"}
    assert named(plain) == {"Alice Police", "Nadia Nobody", HIDDEN_NAME}
