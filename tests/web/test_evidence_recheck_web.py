"""End to end: a preserved post deleted and another edited → the card, the queue filter, the
capture page and the digest say so. SQLite and PostgreSQL, a loopback site, the web app."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from monitor.core import db
from monitor.core.models import utcnow
from monitor.core.models_evidence import Capture
from monitor.entry.polling import poll_all_once
from monitor.evidence.recheck import run
from monitor.notify.digest.content import DigestBuilder
from monitor.notify.digest.message import links, render_message
from monitor.review.users import add_user
from monitor.web.app import create_app
from tests.fixtures import feeds
from tests.support.evidence import captures, mentions, preservations, sync
from tests.support.feedserver import FeedServer, Route

HOUR = timedelta(hours=1)


def _page(text: str) -> Route:
    return Route(
        f'<html><body><p>{text}</p><img src="https://tracker.example/x.png"><script>steal()</script></body></html>',
        content_type="text/html; charset=utf-8",
    )


@pytest.fixture
def story(settings):
    """Two preserved posts: a1 deleted (404 twice, an hour apart), a2 edited; their ids and times."""
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        server.routes["/news/a1"] = _page("The court sentenced Vorontsov today.")
        server.routes["/news/a2"] = _page("Суд приговорил Воронцова. Он не признаёт вину.")
        sync(settings, [server.url("/rss")])
        poll_all_once()
        t0 = utcnow()
        run(now=t0)
        server.routes["/news/a1"] = Route(b"gone", status=404)
        server.routes["/news/a2"] = _page("Суд приговорил Воронцова. Он признал вину.")
        run(now=t0 + HOUR + timedelta(seconds=1))
        run(now=t0 + 2 * HOUR + timedelta(seconds=2))
    ids = {m.url.rsplit("/", 1)[1]: m.id for m in mentions()}
    return {"deleted": ids["a1"], "edited": ids["a2"], "other": ids["a4"]}


@pytest.fixture
def reviewer(settings):
    add_user(email="reviewer@example.org", role="reviewer", password="correct horse battery")
    with TestClient(create_app()) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post(
            "/login",
            data={"email": "reviewer@example.org", "password": "correct horse battery", "csrf_token": token},
            follow_redirects=False,
        )
        yield client


def _card(html: str, mention_id: int) -> str:
    found = re.search(rf'<article[^>]*id="mention-{mention_id}".*?</article>', html, re.DOTALL)
    assert found, f"no card for mention {mention_id}"
    return found.group(0)


def test_cards_show_the_capture_line_and_the_deleted_and_edited_badges(story, reviewer, settings):
    html = reviewer.get("/review?state=all").text
    first = captures(Capture.mention_id == story["deleted"])[0]
    deleted = _card(html, story["deleted"])
    assert f"captured {first.captured_at:%Y-%m-%d %H:%M} UTC" in deleted
    assert f"sha256 {first.sha256[:4]}…" in deleted and "not yet timestamped" in deleted
    assert "deleted 0 days after capture" in deleted and "edited" not in deleted
    edited = _card(html, story["edited"])
    assert 'class="badge edited"' in edited and "deleted" not in edited
    assert "badge" not in _card(html, story["other"])  # a4: Sokolova, not preserved


def test_the_queue_filter_deleted_shows_only_deleted_posts(story, reviewer):
    html = reviewer.get("/review?state=all&deleted=1").text
    assert re.findall(r'id="mention-(\d+)"', html) == [str(story["deleted"])]


def test_the_capture_page_shows_the_diff_and_a_sanitised_copy_under_a_closed_policy(story, reviewer):
    response = reviewer.get(f"/evidence/mentions/{story['edited']}")
    assert response.status_code == 200
    html = response.text
    assert "-Он не признаёт вину." in html and "+Он признал вину." in html
    assert "Он признал вину." in html.split("preserved-copy", 1)[1]  # the latest capture is shown
    assert "steal()" not in html and "tracker.example" not in html
    policy = response.headers["content-security-policy"]
    assert "img-src 'none'" in policy and "default-src 'none'" in policy
    assert reviewer.get(f"/evidence/mentions/{story['edited']}?capture=999999").status_code == 404


def test_the_capture_page_needs_a_login(story, settings):
    with TestClient(create_app()) as anonymous:
        assert anonymous.get(f"/evidence/mentions/{story['deleted']}", follow_redirects=False).status_code == 303


def test_the_digest_lists_what_was_deleted_or_edited_that_day(story, settings):
    rows = {p.mention_id: p for p in preservations()}
    for kind, at in (("deleted", rows[story["deleted"]].deleted_at), ("edited", rows[story["edited"]].edited_at)):
        with db.session_scope() as session:
            digest = DigestBuilder(session).build(
                email="desk@example.org", people=None, day=at.date(), zone=ZoneInfo("UTC")
            )
        assert story[kind] in {c.mention_id for c in digest.changes if c.change == kind}
        message = render_message(links(digest, recipient_id=None), now=utcnow())
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "DELETED OR EDITED SINCE YESTERDAY" in text and "Deleted or edited since yesterday" in html
        assert f"/mentions/{story[kind]}" in text
