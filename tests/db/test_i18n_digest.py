"""The digest in each recipient's language: ``language = "ru"`` in ``[[recipient]]``, mailed to
aiosmtpd on loopback from a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import select

from monitor.core.config_file import ConfigError, DigestEntry, parse_watchlist
from monitor.core.db import session_scope
from monitor.core.models import Recipient, Source
from monitor.core.settings import get_settings
from monitor.notify.digest import send_digests
from tests.support.i18n import add_mentions, sync_people

DAY = date(2026, 11, 22)
MOSCOW = DigestEntry(timezone="Europe/Moscow", send_at=time(8, 0))


def _received(sink, to: str) -> tuple[str, str, str]:
    [(subject, text, html)] = [
        (msg["Subject"], msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content())
        for envelope, msg in zip(sink.envelopes, sink.messages())
        if to in envelope.rcpt_tos
    ]
    return subject, text, html


def test_each_recipient_reads_the_digest_in_their_language(smtp):
    sync_people([{"email": "desk@example.org", "language": "ru"}, {"email": "editor@example.org"}])
    add_mentions("Vladimir Vorontsov", 5)
    add_mentions("Anna Sokolova", 2)

    send_digests(day=DAY, force=False, digest=MOSCOW)

    subject, text, html = _received(smtp, "desk@example.org")
    assert subject == "7 новых упоминаний о 2 людях — 22 нояб."
    assert "Сводка упоминаний за 2026-11-22" in text and "Vladimir Vorontsov: 5 упоминаний" in text
    assert "Anna Sokolova: 2 упоминания" in text and "Отписаться" in text
    assert '<html lang="ru">' in html and "5 упоминаний" in html and "Открыть очередь проверки" in html
    subject, text, html = _received(smtp, "editor@example.org")
    assert subject == "7 new mentions of 2 people — 22 Nov"
    assert "Vladimir Vorontsov: 5 mentions" in text and '<html lang="en">' in html


def test_one_mention_takes_the_singular_form(smtp):
    sync_people([{"email": "desk@example.org", "language": "ru", "people": ["Anna Sokolova"]}])
    add_mentions("Anna Sokolova", 1)
    send_digests(day=DAY, force=False, digest=MOSCOW)
    subject, text, _ = _received(smtp, "desk@example.org")
    assert subject == "1 новое упоминание о 1 человеке — 22 нояб."
    assert "Anna Sokolova: 1 упоминание" in text


def test_a_config_sync_sets_and_clears_the_recipient_language(settings):
    sync_people([{"email": "desk@example.org", "language": "ru"}])
    with session_scope(get_settings().database_url) as session:
        assert session.exec(select(Recipient.language)).one() == "ru"
    sync_people([{"email": "desk@example.org"}])
    with session_scope(get_settings().database_url) as session:
        assert session.exec(select(Recipient.language)).one() is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unknown_language_stops_the_config_in_one_line(settings):
    config = {
        "person": [{"name": "Anna Sokolova"}],
        "recipient": [{"email": "desk@example.org", "language": "klingon"}],
    }
    with pytest.raises(ConfigError) as error:
        parse_watchlist(config, "monitor.toml")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("monitor.toml: recipient[1]") and "language" in message and "'klingon'" in message


def test_a_failing_source_is_told_in_the_recipients_language(smtp):
    sync_people([{"email": "desk@example.org", "language": "ru"}, {"email": "editor@example.org"}])
    add_mentions("Anna Sokolova", 2)
    with session_scope(get_settings().database_url) as session:
        source = session.exec(select(Source)).one()
        source.consecutive_failures, source.last_error = 2, "HTTP 503"

    send_digests(day=DAY, force=False, digest=MOSCOW)

    _, text, html = _received(smtp, "desk@example.org")
    assert "сбой: HTTP 503" in text and "сбой: HTTP 503" in html and "failing" not in text + html
    _, text, _ = _received(smtp, "editor@example.org")
    assert "failing: HTTP 503" in text  # the stats are shared: each render words them in its language
