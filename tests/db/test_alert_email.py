"""Every email comes from one builder: alerts get Date, Message-ID and templates; one address
check; a stuck claim comes back; List-Unsubscribe stays a plain URL. Real SMTP (aiosmtpd)."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core.email_address import address_problem
from monitor.core.models import Mention, Recipient, SpikeAlert
from monitor.core.settings import get_settings
from monitor.notify import alerts
from tests.support.alerts import HOUR, NOW, make_spike
from tests.support.digest import make_recipient, send


def _messages(inbox) -> list[email.message.EmailMessage]:
    # As bytes: a str-parsed 8bit body would come back with its non-ASCII characters escaped.
    return [email.message_from_bytes(raw.encode(), policy=policy.default) for _, raw in inbox.received]


def _alerts() -> dict[str, tuple[str, int, str | None]]:
    with db.session_scope() as session:
        return {a.channel: (a.status, a.attempts, a.error) for a in session.exec(select(SpikeAlert))}


def test_an_alert_email_has_date_message_id_and_the_window_from_the_templates(smtp):
    spike_id = make_spike()
    with db.session_scope() as session:
        for mention in session.exec(select(Mention)):
            mention.title = "Court \u202eruling\u202c on Vorontsov\u2066"
    assert alerts.send_spike_alerts([spike_id], now=NOW) == 1
    [message] = _messages(smtp)
    assert message["Date"].datetime == NOW and re.fullmatch(r"<[^@>]+\.alert@localhost>", message["Message-ID"])
    assert message["Auto-Submitted"] == "auto-generated"
    assert "14:00–15:00 UTC on 10 Mar 2025" in message["Subject"] and "last hour" not in message["Subject"]
    text, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert "Window: 14:00–15:00 UTC on 10 Mar 2025 (burst)." in text
    assert "- Court ruling on Vorontsov (3) https://example.org/0" in text
    assert '<a href="https://example.org/0">open</a>' in html
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", text + html)


@pytest.mark.parametrize(
    "bad",
    [
        "desk@example.org\r\nBcc: spy@attacker.example",
        "desk@example.org, leak@attacker.example",
        "Desk <desk@example.org>",
    ],
)
def test_a_malformed_address_fails_alone_permanently_and_other_followers_are_alerted(smtp, bad):
    spike_id = make_spike(followers=(bad, "ngo@example.org"))
    assert alerts.send_spike_alerts([spike_id], now=NOW) == 1
    assert [to for to, _ in smtp.received] == [["ngo@example.org"]]
    with db.session_scope() as session:
        bad_id = session.exec(select(Recipient.id).where(Recipient.email == bad)).one()
    status, attempts, error = _alerts()[f"email:{bad_id}"]
    assert status == "failed" and "not a plain email address" in error and "\n" not in error
    assert attempts == get_settings().alert_max_attempts  # never retried: the config must change
    assert alerts.retry_failed_alerts(now=NOW + timedelta(hours=1)) == 0


def test_a_claim_stuck_in_sending_is_reclaimed_after_the_timeout_and_a_fresh_one_is_not(smtp):
    spike_id = make_spike()
    with db.session_scope() as session:
        recipient_id = session.exec(select(Recipient.id).where(Recipient.email == "desk@example.org")).one()
        session.add(
            SpikeAlert(
                spike_id=spike_id,
                channel=f"email:{recipient_id}",
                status="sending",
                attempts=1,
                claimed_at=NOW - timedelta(minutes=3),
            )
        )
    assert alerts.retry_failed_alerts(now=NOW) == 0 and smtp.received == []
    assert alerts.retry_failed_alerts(now=NOW + alerts.STALE_CLAIM) == 1
    assert [to for to, _ in smtp.received] == [["desk@example.org"]]
    assert _alerts()[f"email:{recipient_id}"][:2] == ("sent", 2)


def test_list_unsubscribe_arrives_as_a_plain_url_however_long(smtp, monkeypatch):
    monkeypatch.setenv("MONITOR_BASE_URL", "https://monitor.a-rather-long-host-name.example.org/some/deep/path/prefix")
    get_settings.cache_clear()
    make_recipient("desk@example.org")
    send()
    [envelope] = smtp.envelopes
    raw = envelope.content.decode()
    header = re.search(r"^List-Unsubscribe: (.*)$", raw, re.M).group(1)
    assert re.fullmatch(
        r"<https://monitor\.a-rather-long-host-name\.example\.org/some/deep/path/prefix"
        r"/digest/unsubscribe\?token=[A-Za-z0-9._%-]+>",
        header.strip(),
    )
    [message] = smtp.messages()
    assert message["Date"] and message["Message-ID"].endswith(".digest@localhost>")


@given(st.text(max_size=60))
def test_the_address_check_accepts_only_one_plain_address(address):
    accepted = address_problem(address) is None
    if accepted:
        local, _, domain = address.partition("@")
        assert local and domain and not re.search(r"[\s,<>\"()\[\]:;\\@]", local + domain)
        assert address.isascii()


@given(
    st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["\r\nBcc: x@y.z", ", leak@attacker.example", " ", "\n", ">"]),
)
def test_a_plain_address_with_anything_appended_is_refused(address, tail):
    assert address_problem(address) is None and address_problem(address + tail) is not None


hostile = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["x\r\nBcc: spy@attacker.example", "\u202eevil", "=?utf-8?q?x?=", "a\x00b\x1bc"]
)


@given(hostile, hostile, st.lists(st.tuples(hostile, hostile), max_size=3))
def test_an_alert_built_from_hostile_text_has_one_recipient_one_line_headers_and_no_bidi(person, title_a, stories):
    news = alerts.SpikeNews(
        1,
        person or "x",
        "burst",
        HOUR,
        HOUR,
        HOUR,
        12,
        0.5,
        9.0,
        1e-9,
        f"12 mentions {title_a}",
        [{"title": t, "url": u, "mentions": 2, "mention_id": 1} for t, u in stories],
        "14:00–15:00 UTC on 10 Mar 2025",
    )
    settings = get_settings()
    msg = alerts.alert_email(news, to="desk@example.org", settings=settings, now=NOW)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed.get_all("To") == ["desk@example.org"] and parsed.get_all("Bcc") is None
    assert "\n" not in str(parsed["Subject"]) and parsed["Date"].datetime == NOW
    body = parsed.get_body(("plain",)).get_content() + parsed.get_body(("html",)).get_content()
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", body + str(parsed["Subject"]))
