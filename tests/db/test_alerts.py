"""Immediate spike alerts: email to followers over real SMTP (aiosmtpd), a webhook on loopback, claims."""

from __future__ import annotations

import email
import threading
from datetime import timedelta
from email import policy

from sqlmodel import select

from monitor.core import db
from monitor.core.models import SpikeAlert
from monitor.core.settings import get_settings
from monitor.notify import alerts
from tests.support.alerts import HOUR, NOW, make_spike, statuses
from tests.support.stack import free_port


def test_a_new_spike_emails_only_the_people_who_follow_that_person_and_posts_the_webhook(smtp, webhook):
    spike_id = make_spike()

    assert alerts.send_spike_alerts([spike_id], now=NOW) == 2

    assert [to for to, _ in smtp.received] == [["desk@example.org"]]
    message = email.message_from_string(smtp.received[0][1], policy=policy.default)
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

    assert len(smtp.received) == 1 and len(webhook.RequestHandlerClass.bodies) == 1
    assert statuses() == {"email": ("sent", 1), "webhook": ("sent", 1)}


def test_two_workers_sending_at_once_send_each_alert_once(smtp, webhook):
    spike_id = make_spike(followers=("a@example.org", "b@example.org"))
    workers = [threading.Thread(target=alerts.send_spike_alerts, args=([spike_id],)) for _ in range(4)]

    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(to[0] for to, _ in smtp.received) == ["a@example.org", "b@example.org"]
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

    assert len(smtp.received) == 1
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
