"""The web app through its HTTP interface (TestClient), on SQLite and PostgreSQL.

``add_mention`` and ``add_reviewer`` are plain-function factories shared with the browser test.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from monitor.core.models import (
    Person,
    ReviewDecision,
    Spike,
    User,
    utcnow,
)
from tests.support.web import (
    EMAIL,
    HOSTILE_TEXT,
    PASSWORD,
    _db,
    add_mention,
    add_reviewer,
    csrf_from,
    login,
    status_of,
)


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # /healthz also reports worker heartbeat fields (monitor.ingest.metrics); the contract is 200 + status ok.
    assert response.json()["status"] == "ok"


def test_pages_redirect_to_login_without_a_session(client):
    for path in ("/review", "/", "/docs"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login"


def test_the_api_answers_401_without_a_session(client):
    assert client.get("/api/mentions").status_code == 401
    assert client.get("/api/spikes").status_code == 401
    assert client.get("/openapi.json").status_code == 401


def test_the_login_form_has_email_password_and_csrf_fields(client):
    html = client.get("/login").text
    for field in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert field in html


def test_login_with_a_wrong_password_fails(client):
    add_reviewer()
    response = login(client, password="wrong password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_login_without_the_csrf_token_is_refused(client):
    add_reviewer()
    client.get("/login")
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_login_opens_the_queue_and_changes_the_csrf_token(client):
    add_reviewer()
    before = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": before}, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (303, "/review")
    page = client.get("/review")
    assert page.status_code == 200 and "Review queue" in page.text
    assert csrf_from(page.text) != before


def test_the_queue_lists_a_new_mention_with_people_source_and_link(reviewer_client):
    add_mention(title="Hearing postponed", url="https://example.org/story?a=1&b=2")
    html = reviewer_client.get("/review").text
    assert "Hearing postponed" in html
    assert "Vladimir Vorontsov" in html and "Example News" in html
    assert 'href="https://example.org/story?a=1&amp;b=2" rel="noopener noreferrer nofollow"' in html


def test_the_queue_shows_newest_first_and_pages_by_keyset(reviewer_client):
    for n in range(52):
        add_mention(guid=f"g{n}", title=f"Story number {n:02d}", fetched_ago=timedelta(minutes=n))
    first = reviewer_client.get("/review").text
    assert first.index("Story number 00") < first.index("Story number 01")
    assert "Story number 49" in first and "Story number 50" not in first and "Story number 51" not in first
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = reviewer_client.get(older).text
    assert "Story number 50" in second and "Story number 51" in second and "Story number 49" not in second
    assert 'rel="next"' not in second


def test_it_escapes_feed_html(reviewer_client):
    add_mention(text=HOSTILE_TEXT, title="<b onmouseover=alert(1)>Title</b>")
    html = reviewer_client.get("/review").text
    assert "<script>window.pwned" not in html
    assert "<img src=x" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;window.pwned" in html
    assert "&lt;img src=x onerror=" in html


def test_it_marks_the_matched_alias(reviewer_client):
    add_mention(text="Yesterday Vorontsov spoke & left.", alias="Vorontsov")
    html = reviewer_client.get("/review").text
    assert "Yesterday <mark>Vorontsov</mark> spoke &amp; left." in html


def test_it_marks_the_stored_alias_when_the_person_left_the_watchlist(reviewer_client):
    add_mention(text="A note on Vorontsov.", alias="Vorontsov")
    with _db() as session:
        session.exec(select(Person)).one().active = False
    assert "A note on <mark>Vorontsov</mark>." in reviewer_client.get("/review").text


def test_it_links_only_http_urls(reviewer_client):
    add_mention(url="javascript:alert(1)", title="Sneaky")
    html = reviewer_client.get("/review").text
    assert "Sneaky" in html
    assert "javascript:" not in html


def test_a_decision_without_the_csrf_token_is_refused_and_changes_nothing(reviewer_client):
    mention_id = add_mention()
    for data in ({"decision": "confirmed"}, {"decision": "confirmed", "csrf_token": "forged"}):
        response = reviewer_client.post(f"/review/{mention_id}", data=data, follow_redirects=False)
        assert response.status_code == 403
    assert status_of(mention_id) == "new"
    with _db() as session:
        assert session.exec(select(ReviewDecision)).all() == []


def test_confirming_records_the_decision_and_empties_the_queue(reviewer_client):
    mention_id = add_mention(title="To be confirmed")
    token = csrf_from(reviewer_client.get("/review").text)
    response = reviewer_client.post(
        f"/review/{mention_id}", data={"decision": "confirmed", "csrf_token": token}, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (303, "/review")
    assert status_of(mention_id) == "confirmed"
    with _db() as session:
        decision = session.exec(select(ReviewDecision)).one()
        user = session.exec(select(User)).one()
    assert (decision.mention_id, decision.user_id, decision.decision) == (mention_id, user.id, "confirmed")
    assert decision.decided_at is not None
    assert "To be confirmed" not in reviewer_client.get("/review").text


def test_an_unknown_decision_is_rejected(reviewer_client):
    mention_id = add_mention()
    token = csrf_from(reviewer_client.get("/review").text)
    response = reviewer_client.post(f"/review/{mention_id}", data={"decision": "deleted", "csrf_token": token})
    assert response.status_code == 400
    assert status_of(mention_id) == "new"


def test_the_api_lists_mentions(reviewer_client):
    mention_id = add_mention(text=HOSTILE_TEXT)
    [item] = reviewer_client.get("/api/mentions?status=new&limit=10").json()
    assert item["id"] == mention_id
    assert item["people"] == ["Vladimir Vorontsov"] and item["source"] == "Example News"
    assert item["text"] == HOSTILE_TEXT and item["status"] == "new" and item["cluster_id"] is None
    assert set(item) >= {"url", "title", "published_at", "fetched_at"}
    assert reviewer_client.get("/api/mentions?status=confirmed").json() == []


def test_the_api_records_a_decision_with_the_csrf_header(reviewer_client):
    mention_id = add_mention()
    url = f"/api/mentions/{mention_id}/decision"
    assert reviewer_client.post(url, json={"decision": "dismissed"}).status_code == 403
    assert status_of(mention_id) == "new"
    token = reviewer_client.get("/api/me").json()["csrf_token"]
    response = reviewer_client.post(url, json={"decision": "dismissed"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert status_of(mention_id) == "dismissed"
    assert reviewer_client.get("/api/mentions?status=new").json() == []


def test_the_api_answers_404_for_an_unknown_mention(reviewer_client):
    token = reviewer_client.get("/api/me").json()["csrf_token"]
    response = reviewer_client.post(
        "/api/mentions/999/decision", json={"decision": "confirmed"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 404


def test_the_queue_and_api_show_volume_spikes(reviewer_client):
    add_mention()
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    with _db() as session:
        person = session.exec(select(Person)).one()
        session.add(Spike(person_id=person.id, hour=hour, count=42, expected=3.5, score=9.1, detected_at=utcnow()))
    html = reviewer_client.get("/review").text
    card = html[html.index('class="spike-card') :]
    card = card[: card.index("</article>")]
    # Worded as a monitor would: the window's own mentions by clock time, and the usual rate.
    assert "Vladimir Vorontsov" in card and "1 mention between" in card and "usually about 4 an hour" in card
    assert "expected 3.5" not in card and "p &lt;" not in card
    [spike] = reviewer_client.get("/api/spikes").json()
    assert (spike["person"], spike["count"], spike["expected"]) == ("Vladimir Vorontsov", 42, 3.5)
    assert (spike["source_kind"], spike["kind"], spike["expected_by_reviewer"]) == ("", "burst", False)


def test_an_inactive_user_is_logged_out(reviewer_client):
    with _db() as session:
        session.exec(select(User)).one().active = False
    assert reviewer_client.get("/review", follow_redirects=False).headers["location"] == "/login"
    assert reviewer_client.get("/api/mentions").status_code == 401


def test_logout_ends_the_session(reviewer_client):
    token = csrf_from(reviewer_client.get("/review").text)
    assert reviewer_client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert reviewer_client.get("/review", follow_redirects=False).status_code == 303


def test_the_openapi_schema_and_docs_are_served_after_login(reviewer_client):
    paths = reviewer_client.get("/openapi.json").json()["paths"]
    assert {"/api/mentions", "/api/mentions/{mention_id}/decision", "/api/spikes"} <= set(paths)
    assert "swagger" in reviewer_client.get("/docs").text.lower()


def test_pages_forbid_scripts_with_a_content_security_policy(client):
    policy = client.get("/login").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    # Only our own script files: never inline script, eval, or another origin.
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in policy and directives["img-src"] == "'self'"
