"""Digest web routes through the HTTP interface: admin preview, one-click unsubscribe, subscriptions."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core.db import session_scope
from monitor.core.models import Recipient
from monitor.notify.digest import send_digests
from monitor.review.users import add_user
from monitor.web.app import create_app
from tests.support.digest import (
    DAY,
    DAY_START,
    MOSCOW,
    make_mention,
    make_person,
    make_recipient,
    make_source,
    make_spike,
)
from tests.support.web import EMAIL, PASSWORD, add_reviewer, login

ADMIN = "admin@example.org"


@pytest.fixture
def client(settings):
    with TestClient(create_app()) as client:
        yield client


def recipients() -> dict[str, Recipient]:
    with session_scope() as session:
        return {r.email: r for r in session.exec(select(Recipient))}


def unsubscribe_link(settings) -> str:
    """The List-Unsubscribe URL of the one digest in the outbox."""
    [eml] = (settings.data_dir / "outbox").iterdir()
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    url = msg["List-Unsubscribe"].strip("<>")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_admins_preview_the_digest_of_a_chosen_day_in_the_configured_timezone(client, settings):
    settings.config.write_text('[digest]\ntimezone = "Europe/Moscow"\n', encoding="utf-8")
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    person = make_person()
    make_spike(person, DAY_START + timedelta(hours=14), count=41)
    make_mention(make_source(), [person], title="Court jails <b>Vorontsov</b>")
    assert login(client, ADMIN).status_code == 303

    page = client.get("/digest/preview", params={"date": "2026-11-22"})
    assert page.status_code == 200
    assert '<iframe class="digest-frame" title="digest email" sandbox=""' in page.text
    assert 'src="/digest/preview/email?date=2026-11-22"' in page.text
    response = client.get("/digest/preview/email", params={"date": "2026-11-22"})

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'id="spikes"' in response.text and "41 mentions at 14:00" in response.text
    assert "Court jails &lt;b&gt;Vorontsov&lt;/b&gt;" in response.text and 'class="bar"' in response.text
    # Its own policy alone: inline styles, nothing else, a sandbox; framed by our pages only.
    assert response.headers.get_list("content-security-policy") == [
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
        "base-uri 'none'; form-action 'none'"
    ]
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


def test_reviewers_cannot_preview_and_strangers_are_sent_to_login(client):
    assert client.get("/digest/preview", follow_redirects=False).headers["location"] == "/login"
    add_reviewer()
    login(client)
    assert client.get("/digest/preview").status_code == 403
    assert client.get("/digest/preview/email").status_code == 403


def test_the_one_click_unsubscribe_link_works_without_a_session_or_csrf_token(client, settings):
    make_recipient("desk@example.org")
    send_digests(day=DAY, force=False, digest=MOSCOW)
    link = unsubscribe_link(settings)

    with TestClient(create_app()) as mail_client:  # no cookies: what a mail provider sends
        page = mail_client.get(link)
        assert recipients()["desk@example.org"].unsubscribed_at is None  # a link scanner's GET changes nothing
        response = mail_client.post(link, data={"List-Unsubscribe": "One-Click"})

    assert page.status_code == 200 and "<button" in page.text
    assert response.status_code == 200 and "unsubscribed" in response.text
    assert recipients()["desk@example.org"].unsubscribed_at is not None
    assert send_digests(day=DAY + timedelta(days=1), force=False, digest=MOSCOW) == [
        "no active recipients; add [[recipient]] entries to the config"
    ]


def test_a_forged_or_altered_unsubscribe_token_changes_nothing(client, settings):
    make_recipient("desk@example.org")
    send_digests(day=DAY, force=False, digest=MOSCOW)
    link = unsubscribe_link(settings)

    altered = client.post(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    forged = client.post("/digest/unsubscribe?token=eyJyIjoxLCJlIjoiZGVza0BleGFtcGxlLm9yZyJ9.x")

    assert altered.status_code == forged.status_code == 400
    assert recipients()["desk@example.org"].unsubscribed_at is None


def test_a_logged_in_user_subscribes_to_some_people_and_unsubscribes_again(client, settings):
    make_person("Vladimir Vorontsov")
    make_person("Anna Petrova")
    add_reviewer()
    login(client)
    token = client.get("/api/me").json()["csrf_token"]

    refused = client.post("/digest/subscription", data={"people": ["Anna Petrova"]}, follow_redirects=False)
    unknown = client.post("/digest/subscription", data={"people": ["Nobody"], "csrf_token": token})
    made = client.post(
        "/digest/subscription", data={"people": ["Anna Petrova"], "csrf_token": token}, follow_redirects=False
    )

    assert refused.status_code == 403 and unknown.status_code == 400 and made.status_code == 303
    row = recipients()[EMAIL]
    assert (row.origin, row.people, row.unsubscribed_at) == ("web", ["Anna Petrova"], None)
    assert send_digests(day=DAY, force=False, digest=MOSCOW) == [f"{EMAIL} 2026-11-22: sent 0 mentions, 0 spikes"]
    client.post("/digest/subscription", data={"subscribe": "false", "csrf_token": token})
    assert recipients()[EMAIL].unsubscribed_at is not None
