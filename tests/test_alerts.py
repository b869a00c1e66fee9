"""Immediate spike alerts: email to followers over real SMTP (aiosmtpd), a webhook on loopback, claims."""

from __future__ import annotations

import email
import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Cluster, Mention, MentionPerson, Person, Recipient, Source, Spike, SpikeAlert
from monitor.core.settings import get_settings
from monitor.notify import alerts

NOW = datetime(2025, 3, 10, 14, 25, tzinfo=timezone.utc)
HOUR = datetime(2025, 3, 10, 14, 0, tzinfo=timezone.utc)


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    """A loopback port nobody listens on (bound, read and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings, monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("MONITOR_SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    yield inbox
    controller.stop()


class Hook(BaseHTTPRequestHandler):
    status = 200
    bodies: list

    def do_POST(self):
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (Hook,), {"bodies": []}))
    server.status = 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("MONITOR_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    get_settings.cache_clear()
    yield server
    server.shutdown()


def make_spike(*, followers=("desk@example.org",), others=("other@example.org",)) -> int:
    with db.session_scope() as session:
        person, someone = Person(name="Vladimir Vorontsov"), Person(name="Someone Else")
        source = Source(url="https://example.org/feed.xml")
        session.add_all([person, someone, source])
        session.flush()
        for email in followers:
            session.add(Recipient(email=email, people=["Vladimir Vorontsov"]))
        for email in others:
            session.add(Recipient(email=email, people=["Someone Else"]))
        cluster = Cluster(key="story-1")
        session.add(cluster)
        session.flush()
        for i in range(3):
            mention = Mention(
                source_id=source.id,
                guid=f"g{i}",
                title="Court <b>ruling</b> on Vorontsov",
                url=f"https://example.org/{i}",
                published_at=HOUR + timedelta(minutes=i),
                fetched_at=NOW,
                cluster_id=cluster.id,
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id))
        spike = Spike(
            person_id=person.id,
            hour=HOUR,
            count=42,
            expected=3.0,
            score=9.1,
            p_value=1e-9,
            peak_at=HOUR,
            peak_count=42,
            end_at=HOUR,
            total=42,
            explanation="42 mentions in the last hour, usually 3 (p < 10⁻⁸)",
        )
        session.add(spike)
        session.flush()
        return spike.id


def statuses() -> dict[str, tuple[str, int]]:
    with db.session_scope() as session:
        return {a.channel.split(":")[0]: (a.status, a.attempts) for a in session.exec(select(SpikeAlert)).all()}


def test_a_new_spike_emails_only_the_people_who_follow_that_person_and_posts_the_webhook(smtp, webhook):
    spike_id = make_spike()

    assert alerts.send_spike_alerts([spike_id], now=NOW) == 2

    assert [to for to, _ in smtp.messages] == [["desk@example.org"]]
    message = email.message_from_string(smtp.messages[0][1], policy=policy.default)
    assert message["Subject"] == "Spike: Vladimir Vorontsov — 42 mentions 14:00–15:00 UTC on 10 Mar 2025, usually 3"
    assert "- Court <b>ruling</b> on Vorontsov (3) https://example.org/0" in message.get_body(("plain",)).get_content()
    assert "Court &lt;b&gt;ruling&lt;/b&gt; on Vorontsov (3)" in message.get_body(("html",)).get_content()
    [posted] = webhook.RequestHandlerClass.bodies
    assert posted["person"] == "Vladimir Vorontsov" and posted["observed"] == 42 and posted["expected"] == 3.0
    assert posted["start"] == HOUR.isoformat() and posted["text"].startswith("Spike: Vladimir Vorontsov")
    [story] = posted["top_clusters"]
    assert {k: story[k] for k in ("title", "url", "mentions")} == {
        "title": "Court <b>ruling</b> on Vorontsov",
        "url": "https://example.org/0",
        "mentions": 3,
    }
    # Each story links to its mention's permalink page, in the webhook and in the email.
    permalink = f"{get_settings().base_url.rstrip('/')}/mentions/{story['mention_id']}"
    assert story["review_url"] == permalink
    assert f"review: {permalink}" in message.get_body(("plain",)).get_content()


def test_a_spike_is_alerted_at_most_once_however_often_it_is_sent(smtp, webhook):
    spike_id = make_spike()

    alerts.send_spike_alerts([spike_id], now=NOW)
    assert alerts.send_spike_alerts([spike_id], now=NOW) == 0
    assert alerts.retry_failed_alerts(now=NOW) == 0

    assert len(smtp.messages) == 1 and len(webhook.RequestHandlerClass.bodies) == 1
    assert statuses() == {"email": ("sent", 1), "webhook": ("sent", 1)}


def test_two_workers_sending_at_once_send_each_alert_once(smtp, webhook):
    spike_id = make_spike(followers=("a@example.org", "b@example.org"))
    workers = [threading.Thread(target=alerts.send_spike_alerts, args=([spike_id],)) for _ in range(4)]

    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(to[0] for to, _ in smtp.messages) == ["a@example.org", "b@example.org"]
    assert len(webhook.RequestHandlerClass.bodies) == 1


def test_a_failing_webhook_is_retried_alone_without_resending_the_email(smtp, webhook):
    spike_id = make_spike()
    webhook.status = 500

    assert alerts.send_spike_alerts([spike_id], now=NOW) == 1
    assert statuses() == {"email": ("sent", 1), "webhook": ("failed", 1)}
    with db.session_scope() as session:
        assert "HTTP 500" in session.exec(select(SpikeAlert).where(SpikeAlert.channel == "webhook")).one().error

    webhook.status = 204
    assert alerts.retry_failed_alerts(now=NOW + timedelta(minutes=5)) == 1

    assert len(smtp.messages) == 1
    assert len(webhook.RequestHandlerClass.bodies) == 2
    assert statuses() == {"email": ("sent", 1), "webhook": ("sent", 2)}


def test_a_failing_mail_server_is_retried_and_the_webhook_is_not_reposted(settings, webhook, monkeypatch):
    spike_id = make_spike()
    monkeypatch.setenv("MONITOR_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    get_settings.cache_clear()

    alerts.send_spike_alerts([spike_id], now=NOW)
    assert statuses() == {"email": ("failed", 1), "webhook": ("sent", 1)}

    monkeypatch.delenv("MONITOR_SMTP_URL")  # the outbox then takes the mail
    get_settings.cache_clear()
    assert alerts.retry_failed_alerts(now=NOW) == 1

    assert statuses() == {"email": ("sent", 2), "webhook": ("sent", 1)}
    assert len(webhook.RequestHandlerClass.bodies) == 1
    assert len(list((settings.data_dir / "outbox").glob("*.eml"))) == 1


def test_retries_stop_after_the_attempt_limit(settings, webhook, monkeypatch):
    spike_id = make_spike(followers=())
    webhook.status = 503
    monkeypatch.setenv("MONITOR_ALERT_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()

    alerts.send_spike_alerts([spike_id], now=NOW)
    alerts.retry_failed_alerts(now=NOW)

    assert alerts.retry_failed_alerts(now=NOW) == 0
    assert statuses() == {"webhook": ("failed", 2)}
    assert len(webhook.RequestHandlerClass.bodies) == 2


def test_without_a_webhook_url_only_email_is_sent(smtp):
    spike_id = make_spike()

    assert alerts.send_spike_alerts([spike_id], now=NOW) == 1
    assert statuses() == {"email": ("sent", 1)}
