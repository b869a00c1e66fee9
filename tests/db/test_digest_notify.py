"""The daily digest through Apprise (issue 21): a recipient with ``digest_to = ["email", "notify"]``
gets a short text on each ``notify`` channel, received here by loopback servers (a JSON webhook and
ntfy), once per (day, recipient, channel) however often ``monitor digest send`` runs, in the
recipient's language, and with no name of a private person. Real databases (SQLite, PostgreSQL)
and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
from datetime import date, time

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from monitor.core.config_file import ConfigError, DigestEntry, parse_watchlist
from monitor.core.db import session_scope
from monitor.core.models import DigestDelivery, Recipient
from monitor.core.settings import get_settings
from monitor.entry.cli import app
from monitor.notify.digest import send_digests
from tests.support.i18n import add_mentions
from tests.support.notify import Recorder

DAY = date(2026, 11, 22)
MOSCOW = DigestEntry(timezone="Europe/Moscow", send_at=time(8, 0))
CHANNEL = "apprise:r1:MONITOR_NOTIFY_DESK"


@pytest.fixture
def server():
    recorder = Recorder()
    yield recorder
    recorder.close()


def write_config(settings, *, recipient: str, private: bool = False) -> None:
    """Three people (Vladimir Vorontsov ``private`` or not), one source, one recipient (TOML lines)."""
    people = (
        f'[[person]]\nname = "Vladimir Vorontsov"\naliases = ["Владимир Воронцов"]\nprivate = {str(private).lower()}\n'
        '[[person]]\nname = "Anna Sokolova"\n[[person]]\nname = "Oleg Orlov"\n'
    )
    rest = '[[source]]\nurl = "https://example.org/feed.xml"\n[digest]\ntimezone = "Europe/Moscow"\n'
    (settings.data_dir.parent / "monitor.toml").write_text(people + rest + "[[recipient]]\n" + recipient)


def digest_send(*args: str) -> list[str]:
    result = CliRunner().invoke(app, ["digest", "send", "--date", DAY.isoformat(), *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def prepared(settings, monkeypatch, url: str, *, recipient: str, private: bool = False) -> None:
    """The config written and synced (a first run with no mentions yet would send them: sync only)."""
    monkeypatch.setenv("MONITOR_NOTIFY_DESK", url)
    write_config(settings, recipient=recipient, private=private)
    from monitor.entry.prepare import prepare

    prepare(None)


def received(server: Recorder) -> list[dict]:
    return [json.loads(body) for body in server.bodies("POST")]


def ledger() -> list[tuple[str, str]]:
    with session_scope(get_settings().database_url) as session:
        rows = session.exec(select(DigestDelivery).order_by(DigestDelivery.channel)).all()
        return [(row.channel, row.status) for row in rows]


BOTH = 'email = "desk@example.org"\nnotify = ["env:MONITOR_NOTIFY_DESK"]\ndigest_to = ["email", "notify"]\n'


@pytest.mark.parametrize("scheme", ["json", "ntfy"])
def test_monitor_digest_send_posts_the_digest_to_the_channel_once(settings, monkeypatch, smtp, server, scheme):
    prepared(settings, monkeypatch, f"{scheme}://127.0.0.1:{server.port}/desk", recipient=BOTH)
    add_mentions("Vladimir Vorontsov", 5)
    add_mentions("Anna Sokolova", 2)

    first = digest_send()
    second = digest_send()

    [sent] = received(server)
    assert sent["title"] == "Mention monitor digest for November 22, 2026"
    assert sent["message"].splitlines() == [
        "7 new mentions of 2 people",
        "- Vladimir Vorontsov: 5 mentions",
        "- Anna Sokolova: 2 mentions",
        f"Open the monitor: {settings.base_url}/review",
    ]
    assert len(smtp.messages()) == 1  # the e-mail too, once
    assert ledger() == [(CHANNEL, "sent"), ("email", "sent")]
    assert "desk@example.org 2026-11-22 notify MONITOR_NOTIFY_DESK: sent 7 mentions, 0 spikes" in first
    assert "desk@example.org 2026-11-22 notify MONITOR_NOTIFY_DESK: already sent" in second
    assert not any(scheme + "://" in line for line in first + second)  # the URL holds a token: never reported


def test_a_private_persons_name_never_reaches_the_channel(settings, monkeypatch, smtp, server):
    prepared(settings, monkeypatch, f"json://127.0.0.1:{server.port}/desk", recipient=BOTH, private=True)
    add_mentions("Vladimir Vorontsov", 5)
    add_mentions("Anna Sokolova", 2)

    send_digests(day=DAY, force=False, digest=MOSCOW)

    [(method, path, body)] = server.requests
    text = body.decode()
    assert "Vorontsov" not in text and "Воронцов" not in text and "\\u0412" not in text
    assert "- a tracked person: 5 mentions" in json.loads(text)["message"]
    assert "- Anna Sokolova: 2 mentions" in json.loads(text)["message"]  # the others keep their names


def test_the_channel_reads_the_digest_in_russian_with_its_plural_forms(settings, monkeypatch, smtp, server):
    recipient = BOTH + 'language = "ru"\n'
    prepared(settings, monkeypatch, f"json://127.0.0.1:{server.port}/desk", recipient=recipient, private=True)
    add_mentions("Vladimir Vorontsov", 1)
    add_mentions("Anna Sokolova", 2)
    add_mentions("Oleg Orlov", 5)

    send_digests(day=DAY, force=False, digest=MOSCOW)

    [sent] = received(server)
    assert sent["title"] == "Сводка упоминаний за 22 ноября 2026\u202fг."
    assert sent["message"].splitlines() == [
        "8 новых упоминаний о 3 людях",
        "- Oleg Orlov: 5 упоминаний",
        "- Anna Sokolova: 2 упоминания",
        "- отслеживаемый человек: 1 упоминание",
        f"Откройте монитор: {settings.base_url}/review",
    ]


def test_notify_alone_sends_no_email(settings, monkeypatch, smtp, server):
    recipient = 'email = "desk@example.org"\nnotify = ["env:MONITOR_NOTIFY_DESK"]\ndigest_to = ["notify"]\n'
    prepared(settings, monkeypatch, f"json://127.0.0.1:{server.port}/desk", recipient=recipient)
    add_mentions("Anna Sokolova", 2)
    send_digests(day=DAY, force=False, digest=MOSCOW)
    assert len(received(server)) == 1 and smtp.messages() == [] and ledger() == [(CHANNEL, "sent")]


def test_without_digest_to_the_channel_gets_no_digest(settings, monkeypatch, smtp, server):
    recipient = 'email = "desk@example.org"\nnotify = ["env:MONITOR_NOTIFY_DESK"]\n'  # alerts only
    prepared(settings, monkeypatch, f"json://127.0.0.1:{server.port}/desk", recipient=recipient)
    add_mentions("Anna Sokolova", 2)
    send_digests(day=DAY, force=False, digest=MOSCOW)
    assert server.requests == [] and len(smtp.messages()) == 1 and ledger() == [("email", "sent")]


def test_a_failing_channel_is_retried_alone_and_the_email_is_not_sent_again(settings, monkeypatch, smtp, server):
    prepared(settings, monkeypatch, "json://user:hunter2@127.0.0.1:9/desk", recipient=BOTH)
    add_mentions("Anna Sokolova", 2)

    [mail, chat] = send_digests(day=DAY, force=False, digest=MOSCOW)
    assert mail.endswith(": sent 2 mentions, 0 spikes") and ": failed: " in chat and "hunter2" not in chat
    assert ledger() == [(CHANNEL, "failed"), ("email", "sent")]

    monkeypatch.setenv("MONITOR_NOTIFY_DESK", f"json://127.0.0.1:{server.port}/desk")
    [mail, chat] = send_digests(day=DAY, force=False, digest=MOSCOW)
    assert mail.endswith(": already sent") and chat.endswith(": sent 2 mentions, 0 spikes")
    assert len(received(server)) == 1 and len(smtp.messages()) == 1
    assert ledger() == [(CHANNEL, "sent"), ("email", "sent")]


def test_the_digest_goes_to_the_channel_through_the_proxy(settings, monkeypatch, smtp, server):
    proxy = Recorder()
    monkeypatch.setenv("MONITOR_PROXY_URL", f"http://127.0.0.1:{proxy.port}")
    get_settings.cache_clear()
    try:
        prepared(settings, monkeypatch, f"json://127.0.0.1:{server.port}/desk", recipient=BOTH)
        add_mentions("Anna Sokolova", 2)
        send_digests(day=DAY, force=False, digest=MOSCOW)
    finally:
        proxy.close()
    assert server.requests == []
    [(method, target, body)] = proxy.requests  # a proxy is asked for the absolute URL
    assert target == f"http://127.0.0.1:{server.port}/desk" and "Anna Sokolova: 2 mentions" in body.decode()


def test_a_config_sync_stores_and_clears_digest_to(settings, monkeypatch, server):
    prepared(settings, monkeypatch, f"json://127.0.0.1:{server.port}/desk", recipient=BOTH)
    with session_scope(get_settings().database_url) as session:
        assert session.exec(select(Recipient.digest_to)).one() == ["email", "notify"]
    prepared(settings, monkeypatch, f"json://127.0.0.1:{server.port}/desk", recipient='email = "desk@example.org"\n')
    with session_scope(get_settings().database_url) as session:
        assert session.exec(select(Recipient.digest_to)).one() is None


@pytest.mark.parametrize(
    ("recipient", "problem"),
    [
        ({"digest_to": ["notify"]}, 'digest_to: "notify" needs channels: notify = ["env:NAME"]'),
        ({"digest_to": ["sms"]}, "digest_to: unknown digest route 'sms'; known: email, notify"),
        ({"digest_to": []}, 'digest_to: expected some of "email", "notify", each once'),
        ({"digest_to": ["email", "email"]}, 'digest_to: expected some of "email", "notify", each once'),
    ],
)
def test_a_bad_digest_to_stops_the_config_in_one_line(recipient, problem):
    config = {"person": [{"name": "Anna Sokolova"}], "recipient": [{"email": "desk@example.org", **recipient}]}
    with pytest.raises(ConfigError) as error:
        parse_watchlist(config, "monitor.toml")
    message = str(error.value)
    assert "\n" not in message and message.startswith("monitor.toml: recipient[1] (desk@example.org): ")
    assert message.endswith(problem)
