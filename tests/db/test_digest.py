"""The daily digest end to end: real database (SQLite and PostgreSQL), real SMTP (aiosmtpd)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlmodel import select
from typer.testing import CliRunner

from monitor.core.db import session_scope
from monitor.core.models import (
    DigestDelivery,
    Recipient,
    Source,
)
from monitor.entry.cli import app
from monitor.notify.digest import send_digests, send_due_digests
from tests.support.digest import (
    DAY,
    DAY_START,
    MOSCOW,
    NEXT_MORNING,
    NOON,
    add,
    bodies,
    deliveries,
    make_cluster,
    make_mention,
    make_person,
    make_recipient,
    make_source,
    make_spike,
    make_story,
    sections,
    send,
)
from tests.support.smtp import SmtpSink, make_certificate, password_check, server_tls, start_smtp, use_smtp_url
from tests.support.stack import free_port

# Factories ---------------------------------------------------------------------------------


# Content -----------------------------------------------------------------------------------


def test_it_sends_each_recipient_one_digest_with_only_their_people(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    source = make_source()
    make_mention(source, [vorontsov], title="Vorontsov detained in Kazan")
    make_mention(source, [petrova], title="Petrova released")
    make_mention(source, [vorontsov], title="Old rumour about Vorontsov", status="dismissed")
    make_recipient("desk@example.org")
    make_recipient("lawyer@example.org", people=["Anna Petrova"])

    lines = send()

    assert lines == [
        "desk@example.org 2026-11-22: sent 2 mentions, 0 spikes",
        "lawyer@example.org 2026-11-22: sent 1 mention, 0 spikes",
    ]
    assert sorted(smtp.recipients()) == ["desk@example.org", "lawyer@example.org"]
    [(subject, text, html)] = bodies(smtp, "desk@example.org")
    assert subject == "2 new mentions of 2 people — 22 Nov"
    assert "Vorontsov detained in Kazan" in text and "Petrova released" in text and "Old rumour" not in text
    [(subject, text, html)] = bodies(smtp, "lawyer@example.org")
    assert subject == "1 new mention of 1 person — 22 Nov"
    assert "Petrova released" in text and "Petrova released" in html
    assert "Vorontsov" not in text and "Vorontsov" not in html


def test_the_subject_counts_spikes_mentions_and_people_and_a_shared_mention_once(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    make_mention(make_source(), [vorontsov, petrova], title="Joint trial opens")
    make_mention(make_source(), [vorontsov], title="Vorontsov appeal")
    make_spike(vorontsov, DAY_START + timedelta(hours=10))
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 2 mentions, 1 spike"]
    [(subject, text, _)] = bodies(smtp, "desk@example.org")
    assert subject == "1 spike, 2 new mentions of 2 people — 22 Nov"
    assert text.count("Joint trial opens") == 2  # listed under each person it names
    assert text.index("Vladimir Vorontsov: 2 mentions") < text.index("Anna Petrova: 1 mention")


def test_it_covers_the_local_day_in_the_digest_timezone(smtp):
    person, source = make_person(), make_source()
    make_mention(source, [person], title="first minute", published_at=DAY_START)
    make_mention(
        source, [person], title="half past eleven at night", published_at=DAY_START + timedelta(hours=23, minutes=30)
    )
    make_mention(source, [person], title="day before", published_at=DAY_START - timedelta(minutes=1))
    make_mention(source, [person], title="day after", published_at=DAY_START + timedelta(days=1))
    make_mention(source, [person], title="undated but fetched that day", published_at=None, fetched_at=NOON)
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 3 mentions, 0 spikes"]
    [(_, text, _)] = bodies(smtp, "desk@example.org")
    assert "00:00  first minute" in text and "23:30  half past eleven at night" in text
    assert "undated but fetched that day" in text
    assert "day before" not in text and "day after" not in text


def test_a_recipients_own_timezone_decides_which_day_they_get(smtp):
    person = make_person()
    # 23:30 on 22 November in New York is 04:30 UTC on the 23rd: 07:30 on the 23rd in Moscow.
    make_mention(
        make_source(),
        [person],
        title="late in New York",
        published_at=datetime(2026, 11, 23, 4, 30, tzinfo=timezone.utc),
    )
    make_recipient("ny@example.org", timezone="America/New_York")
    make_recipient("moscow@example.org")

    assert send() == [
        "ny@example.org 2026-11-22: sent 1 mention, 0 spikes",
        "moscow@example.org 2026-11-22: sent 0 mentions, 0 spikes",
    ]
    [(_, text, _)] = bodies(smtp, "ny@example.org")
    assert "23:30  late in New York" in text and "(America/New_York)" in text


def test_it_compares_each_person_with_the_previous_day_and_the_7_day_average(smtp):
    person, source = make_person(), make_source()
    for days_before, count in [(0, 4), (1, 2), (3, 3), (7, 2), (8, 9)]:
        for _ in range(count):
            make_mention(
                source, [person], title=f"{days_before} days before", published_at=NOON - timedelta(days=days_before)
            )
    make_recipient()

    send()

    [(_, text, html)] = bodies(smtp, "desk@example.org")
    # The 7 days before: 2 + 3 + 2 = 7 mentions, one a day on average; day 8 is outside.
    assert "Vladimir Vorontsov: 4 mentions" in text
    assert "Previous day 2 · 7-day average 1.0" in text and "Previous day 2 · 7-day average 1.0" in html
    assert "Last 14 days: 0 0 0 0 0 9 2 0 0 0 3 0 2 4" in text
    assert html.count('class="bar"') == 14 and 'title="2026-11-22: 4"' in html


def test_it_lists_the_top_stories_with_their_copy_counts(smtp):
    person, source, story = make_person(), make_source(), make_cluster()
    for hour in range(3):
        make_mention(
            source, [person], title="Court jails Vorontsov", cluster=story, published_at=NOON + timedelta(hours=hour)
        )
    make_mention(source, [person], title="A lone blog post")
    make_recipient()

    send()

    [(_, text, html)] = bodies(smtp, "desk@example.org")
    assert text.index("Court jails Vorontsov [3 copies]") < text.index("A lone blog post")
    assert text.count("Court jails Vorontsov") == 1 and "3 copies" in html


def test_it_highlights_solidarity_and_counts_confirmed_and_unreviewed(smtp):
    person, source = make_person(), make_source()
    make_story(source, [person], title="Court hears the Vorontsov appeal", copies=2)
    make_story(source, [person], title="Vorontsov moved to another prison", copies=2)
    make_mention(source, [person], title="Vorontsov mentioned in passing", published_at=NOON + timedelta(hours=1))
    make_mention(source, [person], title="Vorontsov case", text="#FreeVorontsov trends", status="confirmed")
    make_recipient()

    send()

    [(_, text, html)] = bodies(smtp, "desk@example.org")
    top, solidarity = sections(text)
    assert "Court hears the Vorontsov appeal" in top and "Vorontsov case" not in top
    assert "Vorontsov case" in solidarity and "in passing" not in solidarity
    assert "[solidarity]" not in text and ">&nbsp;solidarity<" not in html
    assert "confirmed 1 · unreviewed 5" in text


def test_a_solidarity_story_is_said_once_and_the_highlights_go_to_other_stories(smtp):
    """Copies of one post (one story) fill no more than one highlight, and a solidarity story
    among the top stories is marked there rather than listed again: in a burst of support the
    highlights go to the stories the top ones do not show, where the reviewer learns something new."""
    person, source = make_person(), make_source()
    make_story(source, [person], title="Supporters gather outside the court for Vorontsov", copies=3)
    make_story(source, [person], title="Court hears the Vorontsov appeal", copies=2)
    make_story(source, [person], title="Solidarity letters for Vorontsov", copies=2)
    for hour, title in enumerate(["#FreeVorontsov rally", "Release Vorontsov, say lawyers", "Stand with Vorontsov"]):
        make_mention(source, [person], title=title, published_at=NOON + timedelta(hours=hour + 1))
    make_recipient()

    send()

    [(_, text, html)] = bodies(smtp, "desk@example.org")
    top, solidarity = sections(text)
    assert "Supporters gather outside the court for Vorontsov [3 copies] [solidarity]" in top
    assert "Solidarity letters for Vorontsov [2 copies] [solidarity]" in top
    assert "Court hears the Vorontsov appeal [2 copies]\r\n" in top
    assert text.count("Supporters gather outside the court") == 1 and text.count("Solidarity letters") == 1
    for title in ["#FreeVorontsov rally", "Release Vorontsov, say lawyers", "Stand with Vorontsov"]:
        assert title in solidarity
    assert html.count(">&nbsp;solidarity<") == 2


def test_beyond_the_most_mentioned_people_it_lists_one_line_each_then_a_count(smtp, monkeypatch):
    from monitor.notify.digest import content

    monkeypatch.setattr(content, "DETAILED_PEOPLE", 1)
    monkeypatch.setattr(content, "ROW_PEOPLE", 1)
    source = make_source()
    for name, count in [("Anna Petrova", 3), ("Boris Ivanov", 2), ("Vera Orlova", 1)]:
        person = make_person(name)
        for n in range(count):
            make_mention(source, [person], title=f"{name} story {n}")
    make_recipient()

    send()

    [(subject, text, html)] = bodies(smtp, "desk@example.org")
    assert subject == "6 new mentions of 3 people — 22 Nov"
    assert "Anna Petrova: 3 mentions" in text and "Anna Petrova story 0" in text
    assert "* Boris Ivanov: 2 / 0 / 0.0 / 2" in text and "Boris Ivanov story" not in text
    assert "and 1 more person" in text and "Vera Orlova" not in text and 'id="more-people"' in html


def test_it_says_no_new_mentions_rather_than_staying_silent(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    make_mention(make_source(), [vorontsov], title="Another day", published_at=NOON + timedelta(days=3))
    make_recipient("quiet@example.org")
    make_recipient("lawyer@example.org", people=["Anna Petrova", "Vladimir Vorontsov"])
    make_mention(make_source(), [vorontsov], title="Today")

    send()

    [(_, text, html)] = bodies(smtp, "lawyer@example.org")
    assert "No new mentions of: Anna Petrova." in text and "No new mentions of: Anna Petrova." in html
    make_recipient("petrova-only@example.org", people=["Anna Petrova"])
    send()
    [(subject, text, html)] = bodies(smtp, "petrova-only@example.org")
    assert subject == "No new mentions — 22 Nov"
    assert "No new mentions on 2026-11-22" in text and "No new mentions on 2026-11-22" in html


def test_it_lists_sources_that_failed_or_went_silent(smtp):
    person = make_person()
    failing = add(
        Source(
            url="https://broken.example/feed",
            name="Broken feed",
            consecutive_failures=3,
            last_error="HTTP 503 from https://broken.example/feed",
        )
    )
    silent, busy = make_source("Gone quiet"), make_source("Still busy")
    make_mention(silent, [person], title="Earlier in the week", published_at=NOON - timedelta(days=2))
    make_mention(busy, [person], title="Earlier too", published_at=NOON - timedelta(days=2))
    make_mention(busy, [person], title="Today as well")
    make_recipient()

    send()

    [(_, text, html)] = bodies(smtp, "desk@example.org")
    section = text[text.index("SOURCES THAT FAILED OR WENT SILENT") :]
    assert "Broken feed (https://broken.example/feed): failing: HTTP 503" in section
    assert "Gone quiet" in section and "silent" in section and "Still busy" not in section
    assert failing.id and 'id="sources"' in html


def test_spikes_come_first_with_observed_and_expected_counts(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    make_spike(vorontsov, DAY_START + timedelta(hours=14), count=41)
    make_spike(vorontsov, DAY_START - timedelta(hours=1))
    make_spike(petrova, DAY_START + timedelta(hours=3))
    make_mention(make_source(), [vorontsov], title="Crackdown")
    make_recipient(people=["Vladimir Vorontsov"])

    assert send() == ["desk@example.org 2026-11-22: sent 1 mention, 1 spike"]
    [(subject, text, html)] = bodies(smtp, "desk@example.org")
    assert subject.startswith("1 spike, 1 new mention")
    assert "Vladimir Vorontsov: 41 mentions at 14:00 (about 3.5 expected)" in text and "Petrova" not in text
    assert text.index("SPIKES") < text.index("Crackdown") and html.index('id="spikes"') < html.index('class="person"')
    assert deliveries()[0].spike_count == 1


# The email ----------------------------------------------------------------------------------


def test_it_sets_date_message_id_list_id_and_a_one_click_unsubscribe_link(smtp, settings):
    recipient = make_recipient()

    send(now=NEXT_MORNING)

    [msg] = smtp.messages()
    assert msg["Date"] == "Mon, 23 Nov 2026 06:00:00 +0000"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@localhost>")
    assert msg["List-Id"] == "Mention monitor digest <digest.localhost>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = msg["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{settings.base_url}/digest/unsubscribe?token=")
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    from urllib.parse import parse_qs, urlsplit

    from monitor.notify.digest import read_unsubscribe_token

    assert read_unsubscribe_token(parse_qs(urlsplit(link).query)["token"][0]) == (recipient.id, "desk@example.org")


def test_hostile_names_and_post_text_cannot_add_headers_or_markup(smtp):
    evil = make_person("Evil\r\nBcc: spy@evil.example <script>alert(1)</script>")
    make_mention(
        make_source("Evil <img src=x onerror=alert(1)>"),
        [evil],
        title='Title\r\nBcc: spy@evil.example\r\n\r\n<script>alert("x")</script> Court ruling',
        url="javascript:alert(1)",
        text="<p>Full <b>story</b>\u202e here</p><script>steal()</script>",
    )
    make_recipient()

    send()

    assert smtp.recipients() == ["desk@example.org"]
    [msg] = smtp.messages()
    assert msg.get_all("Bcc") is None and "spy@evil.example" not in str(msg["Subject"])
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Court ruling" in html
    assert "Evil Bcc: spy@evil.example &lt;script&gt;" in html
    assert "\u202e" not in text + html


def test_a_recipient_address_that_could_inject_headers_is_refused_and_others_still_get_theirs(smtp):
    make_recipient("desk@example.org\r\nBcc: spy@evil.example")
    make_recipient("desk@example.org, spy@evil.example")
    make_recipient("ngo@example.org")

    lines = send()

    assert ["failed: recipient" in line and "not a plain email address" in line for line in lines] == [
        True,
        True,
        False,
    ]
    assert all("\n" not in line for line in lines)
    assert smtp.recipients() == ["ngo@example.org"]


def test_the_digest_goes_over_starttls_with_a_verified_certificate_and_login(settings, monkeypatch, tmp_path):
    cert, key = make_certificate(tmp_path)
    controller, sink = start_smtp(
        tls_context=server_tls(cert, key),
        require_starttls=True,
        authenticator=password_check(b"monitor", b"pw"),
        auth_require_tls=True,
    )
    monkeypatch.setenv("MONITOR_SMTP_CA_FILE", cert)
    use_smtp_url(monkeypatch, f"smtp://monitor:pw@127.0.0.1:{controller.port}?starttls=true")
    make_recipient("desk@example.org")
    make_recipient("ngo@example.org")
    try:
        first, second = send(), send()
    finally:
        controller.stop()
    assert [line.rsplit(": ", 1)[1] for line in first] == ["sent 0 mentions, 0 spikes"] * 2
    assert [line.rsplit(": ", 1)[1] for line in second] == ["already sent"] * 2
    assert sorted(sink.recipients()) == ["desk@example.org", "ngo@example.org"]


# Delivery -----------------------------------------------------------------------------------


def test_a_second_run_sends_nothing_and_force_sends_again(smtp):
    make_mention(make_source(), [make_person()], title="Hearing postponed")
    recipient = make_recipient()

    send()
    assert send() == ["desk@example.org 2026-11-22: already sent"]
    assert len(smtp.envelopes) == 1
    assert send(force=True) == ["desk@example.org 2026-11-22: sent 1 mention, 0 spikes"]

    assert len(smtp.envelopes) == 2
    [row] = deliveries()
    assert (row.recipient_id, row.day, row.status, row.mention_count, row.error) == (recipient.id, DAY, "sent", 1, None)
    assert row.sent_at is not None


class RejectingSink(SmtpSink):
    """Refuses RCPT for the addresses in ``reject`` with a temporary 451."""

    def __init__(self):
        super().__init__()
        self.reject: set[str] = set()
        self.attempts: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.attempts.append(address)
        if address in self.reject:
            return "451 4.3.0 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_recipient_whose_server_rejects_the_message_is_retried_alone_with_backoff(settings, monkeypatch):
    from aiosmtpd.controller import Controller

    sink = RejectingSink()
    sink.reject.add("bounce@example.org")
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{controller.port}")
    make_recipient("desk@example.org")
    make_recipient("bounce@example.org")
    run = lambda minutes: send_due_digests(digest=MOSCOW, now=NEXT_MORNING + timedelta(minutes=minutes))
    try:
        first = run(0)
        early, second, before_backoff = run(5), run(11), run(25)
        sink.reject.clear()
        third, after = run(31), run(40)
    finally:
        controller.stop()

    assert first[0] == "desk@example.org 2026-11-22: sent 0 mentions, 0 spikes"
    assert "bounce@example.org 2026-11-22: failed: SMTP" in first[1] and "451" in first[1]
    assert early == [] and len(second) == 1 and "bounce@example.org 2026-11-22: failed" in second[0]
    assert before_backoff == []  # second failure: next try 20 minutes later
    assert third == ["bounce@example.org 2026-11-22: sent 0 mentions, 0 spikes"] and after == []
    assert sink.attempts == ["desk@example.org"] + ["bounce@example.org"] * 3
    assert sorted(sink.recipients()) == ["bounce@example.org", "desk@example.org"]
    assert [(r.status, r.attempts) for r in deliveries()] == [("sent", 0), ("sent", 2)]


def test_the_backoff_doubles_up_to_six_hours():
    from monitor.notify.digest import retry_delay

    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert retry_delay(12) == timedelta(hours=6)


def test_a_manual_run_retries_failures_at_once(smtp, monkeypatch):
    make_mention(make_source(), [make_person()], title="Appeal filed")
    make_recipient("desk@example.org")
    make_recipient("ngo@example.org")
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{free_port()}")

    lines = send()

    assert len(lines) == 2 and all(
        "failed: SMTP smtp://127.0.0.1:" in line and "connection refused" in line for line in lines
    )
    assert [(row.status, "connection refused" in row.error) for row in deliveries()] == [("failed", True)] * 2
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{smtp.port}")
    assert send() == [
        "desk@example.org 2026-11-22: sent 1 mention, 0 spikes",
        "ngo@example.org 2026-11-22: sent 1 mention, 0 spikes",
    ]
    assert [(row.status, row.error) for row in deliveries()] == [("sent", None)] * 2


def test_it_writes_digests_to_the_outbox_when_no_smtp_url_is_set(settings):
    make_mention(make_source(), [make_person()], title="Verdict expected")
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 1 mention, 0 spikes"]
    [eml] = (settings.data_dir / "outbox").iterdir()
    assert eml.name.endswith("-desk@example.org.eml")
    assert b"Verdict expected" in eml.read_bytes()
    assert send() == ["desk@example.org 2026-11-22: already sent"]
    assert len(list((settings.data_dir / "outbox").iterdir())) == 1


def test_it_sends_nothing_to_inactive_or_unsubscribed_recipients(smtp):
    make_recipient("gone@example.org", active=False)
    add(Recipient(email="left@example.org", unsubscribed_at=NOON))

    assert send() == ["no active recipients; add [[recipient]] entries to the config"]
    assert smtp.envelopes == [] and deliveries() == []


def test_the_default_day_is_yesterday_in_the_digest_timezone(smtp):
    make_recipient()
    # 01:30 on 23 November in Moscow, still 22 November in UTC.
    now = datetime(2026, 11, 22, 22, 30, tzinfo=timezone.utc)

    assert send_digests(day=None, force=False, digest=MOSCOW, now=now) == [
        "desk@example.org 2026-11-22: sent 0 mentions, 0 spikes"
    ]
    assert deliveries()[0].day == DAY


def test_the_scheduler_waits_for_send_at_in_each_recipients_timezone_then_sends_once(smtp):
    make_mention(make_source(), [make_person()], title="Sentencing today")
    moscow, tokyo = make_recipient("moscow@example.org"), make_recipient("tokyo@example.org", timezone="Asia/Tokyo")
    for recipient in (moscow, tokyo):  # the day before went out on time
        add(DigestDelivery(recipient_id=recipient.id, day=DAY - timedelta(days=1), status="sent"))
    tokyo_8am = datetime(2026, 11, 22, 23, 0, tzinfo=timezone.utc)  # 02:00 in Moscow
    moscow_759 = datetime(2026, 11, 23, 4, 59, tzinfo=timezone.utc)

    assert send_due_digests(digest=MOSCOW, now=tokyo_8am - timedelta(minutes=1)) == []
    assert send_due_digests(digest=MOSCOW, now=tokyo_8am) == ["tokyo@example.org 2026-11-22: sent 1 mention, 0 spikes"]
    assert send_due_digests(digest=MOSCOW, now=moscow_759) == []
    assert send_due_digests(digest=MOSCOW, now=moscow_759 + timedelta(minutes=1)) == [
        "moscow@example.org 2026-11-22: sent 1 mention, 0 spikes"
    ]
    assert send_due_digests(digest=MOSCOW, now=moscow_759 + timedelta(minutes=6)) == []
    assert smtp.recipients() == ["tokyo@example.org", "moscow@example.org"]


def test_a_run_missed_while_the_machine_was_off_is_caught_up_once_on_start(smtp):
    make_mention(make_source(), [make_person()], title="Missed morning")
    make_recipient()
    # Off from before 08:00 on the 23rd until 03:00 on the 24th (Moscow): the 22nd's digest was missed.
    started = datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc)

    assert send_due_digests(digest=MOSCOW, now=started) == ["desk@example.org 2026-11-22: sent 1 mention, 0 spikes"]
    assert send_due_digests(digest=MOSCOW, now=started + timedelta(minutes=2)) == []
    assert send_due_digests(digest=MOSCOW, now=datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)) == [
        "desk@example.org 2026-11-23: sent 0 mentions, 0 spikes"
    ]
    assert [d.day for d in deliveries()] == [DAY, DAY + timedelta(days=1)] and len(smtp.envelopes) == 2


def test_it_takes_over_a_delivery_abandoned_mid_send_but_not_a_fresh_one(smtp):
    stale, fresh = make_recipient("stale@example.org"), make_recipient("fresh@example.org")
    add(DigestDelivery(recipient_id=stale.id, day=DAY, status="sending", claimed_at=NEXT_MORNING - timedelta(hours=1)))
    add(
        DigestDelivery(recipient_id=fresh.id, day=DAY, status="sending", claimed_at=NEXT_MORNING - timedelta(minutes=1))
    )

    assert send(now=NEXT_MORNING) == [
        "stale@example.org 2026-11-22: sent 0 mentions, 0 spikes",
        "fresh@example.org 2026-11-22: being sent by another process",
    ]
    assert smtp.recipients() == ["stale@example.org"]


def test_two_processes_sending_at_once_never_send_the_same_digest(smtp):
    make_mention(make_source(), [make_person()], title="Raid on office")
    for n in range(3):
        make_recipient(f"desk{n}@example.org")
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(send())) for _ in range(4)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(smtp.recipients()) == ["desk0@example.org", "desk1@example.org", "desk2@example.org"]
    sent = [line for lines in results for line in lines if ": sent " in line]
    assert len(results) == 4 and len(sent) == 3


def test_a_config_sync_keeps_an_unsubscribe_and_users_web_subscriptions(settings):
    from monitor.core.config_file import parse_watchlist
    from monitor.core.storage import sync_watchlist

    config = {
        "person": [{"name": "Anna Petrova"}],
        "recipient": [{"email": "desk@example.org", "timezone": "Asia/Tokyo"}],
    }
    left = make_recipient("desk@example.org")
    add(Recipient(email="user@example.org", origin="web"))
    with session_scope() as session:
        session.get(Recipient, left.id).unsubscribed_at = NOON
    with session_scope() as session:
        sync_watchlist(session, watchlist=parse_watchlist(config, "monitor.toml"))
    with session_scope() as session:
        rows = {r.email: r for r in session.exec(select(Recipient))}
    assert rows["desk@example.org"].unsubscribed_at == NOON and rows["desk@example.org"].timezone == "Asia/Tokyo"
    assert rows["user@example.org"].active


CONFIG = """
[[person]]
name = "Vladimir Vorontsov"
aliases = ["Владимир Воронцов"]

[[person]]
name = "Anna Petrova"

[[recipient]]
email = "desk@example.org"
people = ["Vladimir Vorontsov"]

[digest]
timezone = "Europe/Moscow"
send_at = "08:00"
"""


def test_the_cli_sends_the_days_digest_once_unless_forced(smtp, tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(CONFIG, encoding="utf-8")
    vorontsov = make_person("Vladimir Vorontsov")
    make_mention(make_source(), [vorontsov], title="Воронцов задержан", published_at=DAY_START + timedelta(minutes=5))
    # The config lists no source while the database has one: allowed, it only sends the digest.
    run = lambda cli, args: CliRunner().invoke(cli, [*args, "--allow-empty"])

    first = run(app, ["digest", "send", "--date", "2026-11-22", "--config", str(config)])
    second = run(app, ["digest", "send", "--date", "2026-11-22", "--config", str(config)])
    forced = run(app, ["digest", "send", "--date", "2026-11-22", "--force", "--config", str(config)])

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "desk@example.org 2026-11-22: sent 1 mention, 0 spikes"
    assert second.stdout.strip() == "desk@example.org 2026-11-22: already sent"
    assert forced.stdout.strip() == "desk@example.org 2026-11-22: sent 1 mention, 0 spikes"
    assert smtp.recipients() == ["desk@example.org", "desk@example.org"]
    assert "Воронцов задержан" in bodies(smtp, "desk@example.org")[0][1]
