"""Spike alerts through Apprise (issue 21): deliveries received by loopback servers for ntfy, a
JSON webhook and Matrix; URL construction for Telegram, Signal, Slack and e-mail; a private
person's alert carries no name; one alert per spike per channel however many workers race."""

from __future__ import annotations

import email
import json
import threading
from email import policy

import apprise
import pytest
from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import ConfigError, load_watchlist
from monitor.core.models import Person, Recipient, SpikeAlert
from monitor.core.models_notify import NotifyChannel
from monitor.core.settings import get_settings
from monitor.core.storage.config_sync import sync_config
from monitor.notify import alerts
from monitor.notify.channels import ChannelError, sealing
from monitor.notify.channels.channels import PRIVATE_TITLE
from tests.support.notify import NAME, NOW, Recorder, make_spike, matrix_answer


@pytest.fixture
def server():
    recorder = Recorder()
    yield recorder
    recorder.close()


def _alert(monkeypatch, url: str, **spike) -> int:
    monkeypatch.setenv("MONITOR_NOTIFY_DESK", url)
    spike_id = make_spike(notify=["env:MONITOR_NOTIFY_DESK"], **spike)
    return alerts.send_spike_alerts([spike_id], now=NOW)


def _statuses() -> list[tuple[str, str, str | None]]:
    with db.session_scope() as session:
        return [(a.channel, a.status, a.error) for a in session.exec(select(SpikeAlert)).all()]


def test_it_posts_a_spike_to_ntfy(settings, monkeypatch, server):
    assert _alert(monkeypatch, f"ntfy://127.0.0.1:{server.port}/desk") == 2  # the e-mail (to the outbox) and ntfy
    [body] = server.bodies("POST")
    sent = json.loads(body)
    assert sent["topic"] == "desk" and sent["title"] == f"Spike: {NAME}"
    assert "42 mentions" in sent["message"] and f"Court ruling on {NAME}" in sent["message"]
    assert ("apprise:r1:MONITOR_NOTIFY_DESK", "sent", None) in _statuses()


def test_it_posts_a_spike_to_a_json_webhook(settings, monkeypatch, server):
    _alert(monkeypatch, f"json://127.0.0.1:{server.port}/hooks/desk")
    [(method, path, body)] = server.requests
    sent = json.loads(body)
    assert (method, path) == ("POST", "/hooks/desk")
    assert sent["title"] == f"Spike: {NAME}" and "42 mentions" in sent["message"]


def test_it_posts_a_spike_to_a_matrix_room(settings, monkeypatch):
    matrix = Recorder(matrix_answer)
    try:
        _alert(monkeypatch, f"matrix://bot:secret@127.0.0.1:{matrix.port}/%23desk:localhost")
    finally:
        matrix.close()
    paths = [(method, path) for method, path, _ in matrix.requests]
    assert ("POST", "/_matrix/client/v3/join/%23desk%3Alocalhost") in paths
    [message] = [json.loads(body) for method, path, body in matrix.requests if "/send/m.room.message/" in path]
    assert message["msgtype"] == "m.text" and f"Spike: {NAME}" in message["body"] and "42 mentions" in message["body"]


def test_it_posts_a_spike_to_a_signal_api(settings, monkeypatch, server):
    _alert(monkeypatch, f"signal://127.0.0.1:{server.port}/+15551234567/+15557654321")
    [(method, path, body)] = server.requests
    sent = json.loads(body)
    assert (method, path) == ("POST", "/v2/send") and sent["recipients"] == ["+15557654321"]
    assert NAME in sent["message"]


@pytest.mark.parametrize(
    ("url", "service", "scheme"),
    [
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890", "Telegram", "tgram"),
        ("signal://signal.example.org:8080/+15551234567/+15557654321", "Signal API", "signal"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#desk", "Slack", "slack"),
        ("mailtos://alerts:app-password@example.org?to=desk@example.org", "E-Mail", "mailtos"),
    ],
)
def test_apprise_accepts_the_chat_and_mail_urls(url, service, scheme):
    assert apprise.Apprise().add(url)
    plugin = apprise.Apprise.instantiate(url)
    assert plugin.service_name == service and plugin.url().startswith(f"{scheme}://")
    assert apprise.Apprise.instantiate(plugin.url()).url() == plugin.url()  # what it says is what it sends to
    assert any(service == s["service_name"] for s in apprise.Apprise().details()["schemas"])


def test_a_private_persons_alert_names_nobody(settings, monkeypatch, server, tmp_path):
    _alert(monkeypatch, f"ntfy://127.0.0.1:{server.port}/desk", private=True)
    [sent] = [json.loads(body) for body in server.bodies("POST")]
    assert sent["title"] == PRIVATE_TITLE and sent["message"].endswith("/review")
    assert "Vorontsov" not in json.dumps(sent, ensure_ascii=False) and "Court ruling" not in sent["message"]
    [path] = [p for p in (tmp_path / "data").rglob("*.eml")]
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    shown = message["Subject"] + message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
    assert "tracked person" in message["Subject"] and "Vorontsov" not in shown  # the e-mail too


@pytest.mark.parametrize("private", [False, True])
def test_a_russian_recipients_chat_alert_is_in_russian(settings, monkeypatch, server, private):
    monkeypatch.setenv("MONITOR_NOTIFY_DESK", f"json://127.0.0.1:{server.port}/hooks/desk")
    spike_id = make_spike(notify=["env:MONITOR_NOTIFY_DESK"], private=private)
    with db.session_scope() as session:
        session.exec(select(Recipient)).one().language = "ru"
    alerts.send_spike_alerts([spike_id], now=NOW)
    [sent] = [json.loads(body) for body in server.bodies("POST")]
    if private:
        assert sent["title"] == "Всплеск у отслеживаемого человека — откройте монитор"
        assert "Vorontsov" not in json.dumps(sent, ensure_ascii=False)
    else:
        assert sent["title"] == f"Всплеск: {NAME}" and "42 упоминания" in sent["message"]
        assert "mentions " not in sent["message"] and "usually" not in sent["message"]


def test_two_workers_racing_send_one_alert_per_channel(settings, monkeypatch, server):
    monkeypatch.setenv("MONITOR_NOTIFY_DESK", f"ntfy://127.0.0.1:{server.port}/desk")
    spike_id = make_spike(notify=["env:MONITOR_NOTIFY_DESK"])
    start, sent = threading.Barrier(2), []

    def worker():
        start.wait()
        sent.append(alerts.send_spike_alerts([spike_id], now=NOW))

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert len(server.bodies("POST")) == 1 and sum(sent) == 2  # ntfy once, the e-mail once
    assert alerts.send_spike_alerts([spike_id], now=NOW) == 0 and len(server.bodies("POST")) == 1


def test_a_channel_an_admin_stored_is_sealed_and_delivered(settings, monkeypatch, server):
    url = f"ntfy://127.0.0.1:{server.port}/newsroom"
    with db.session_scope() as session:
        session.add(
            NotifyChannel(
                name="newsroom", url_sealed=sealing.seal(url, "test-secret-key"), service="ntfy", created_at=NOW
            )
        )
    spike_id = make_spike()
    with db.session_scope() as session:
        stored = session.exec(select(NotifyChannel)).one().url_sealed
    assert "newsroom" not in stored and str(server.port) not in stored
    alerts.send_spike_alerts([spike_id], now=NOW)
    assert json.loads(server.bodies("POST")[0])["topic"] == "newsroom"


def test_a_sealed_url_opens_only_with_the_same_secret_key():
    sealed = sealing.seal("tgram://123:token/456", "one key")
    assert sealing.unseal(sealed, "one key") == "tgram://123:token/456"
    with pytest.raises(ChannelError) as error:
        sealing.unseal(sealed, "another key")
    assert error.value.permanent and "token" not in str(error.value)


def test_deliveries_go_through_the_configured_proxy(settings, monkeypatch, server):
    proxy = Recorder()
    monkeypatch.setenv("MONITOR_PROXY_URL", f"http://127.0.0.1:{proxy.port}")
    get_settings.cache_clear()
    try:
        _alert(monkeypatch, f"ntfy://127.0.0.1:{server.port}/desk")
    finally:
        proxy.close()
    assert server.requests == []
    [(method, target, _)] = proxy.requests  # a proxy is asked for the absolute URL
    assert method == "POST" and target.startswith(f"http://127.0.0.1:{server.port}/")


def test_a_failed_channel_is_recorded_without_its_url(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_NOTIFY_DESK", "ntfy://user:hunter2@127.0.0.1:9/desk")
    alerts.send_spike_alerts([make_spike(notify=["env:MONITOR_NOTIFY_DESK"])], now=NOW)
    [(status, error)] = [(s, e) for c, s, e in _statuses() if c.startswith("apprise:")]
    assert status == "failed" and "ntfy" in error and "hunter2" not in error


def test_an_unset_variable_fails_the_channel_alone(settings, monkeypatch):
    monkeypatch.delenv("MONITOR_NOTIFY_DESK", raising=False)
    alerts.send_spike_alerts([make_spike(notify=["env:MONITOR_NOTIFY_DESK"])], now=NOW)
    states = {c.split(":")[0]: (s, e) for c, s, e in _statuses()}
    assert states["email"][0] == "sent"
    assert states["apprise"][0] == "failed" and "MONITOR_NOTIFY_DESK" in states["apprise"][1]


def test_the_config_names_channels_by_environment_variable_only(tmp_path):
    config = tmp_path / "monitor.toml"
    base = '[[person]]\nname = "Vladimir Vorontsov"\nprivate = true\n[[source]]\nurl = "https://example.org/feed"\n'
    config.write_text(base + '[[recipient]]\nemail = "desk@example.org"\nnotify = ["tgram://123:secret/456"]\n')
    with pytest.raises(ConfigError) as error:
        load_watchlist(config)
    assert str(config) in str(error.value) and "recipient[1] (desk@example.org): notify" in str(error.value)
    assert "secret" not in getattr(error.value, "loggable", "") and "env:NAME" in str(error.value)
    config.write_text(base + '[[recipient]]\nemail = "desk@example.org"\nnotify = ["env:MONITOR_NOTIFY_DESK"]\n')
    watchlist = load_watchlist(config)
    assert watchlist.recipients[0].notify == ["env:MONITOR_NOTIFY_DESK"] and watchlist.people[0].private


def test_a_config_sync_stores_the_references_and_the_private_flag(settings, tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[[person]]\nname = "Vladimir Vorontsov"\nprivate = true\n[[source]]\nurl = "https://example.org/feed"\n'
        '[[recipient]]\nemail = "desk@example.org"\nnotify = ["env:MONITOR_NOTIFY_DESK"]\n'
    )
    with db.session_scope() as session:
        sync_config(session, watchlist=load_watchlist(config), allow_empty=False)
    with db.session_scope() as session:
        assert session.exec(select(Recipient.notify)).one() == ["env:MONITOR_NOTIFY_DESK"]
        assert session.exec(select(Person.private)).one() is True
