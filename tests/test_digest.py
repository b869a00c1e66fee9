"""The daily digest end to end: real database (SQLite and PostgreSQL), real SMTP (aiosmtpd)."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.db import session_scope
from monitor.digest import send_digests, send_due_digests
from monitor.models import DigestDelivery, Mention, MentionPerson, Person, Recipient, Source, Spike
from monitor.watchlist import DigestEntry
from tests.test_mail import free_port, start_smtp, use_smtp_url

DAY = date(2026, 11, 22)
MOSCOW = DigestEntry(timezone="Europe/Moscow", send_at=time(8, 0))
# Europe/Moscow is UTC+3 all year: 2026-11-22 there is [21 Nov 21:00Z, 22 Nov 21:00Z).
DAY_START = datetime(2026, 11, 21, 21, 0, tzinfo=timezone.utc)
NOON = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
NEXT_MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)  # 09:00 in Moscow


@pytest.fixture
def smtp(settings, monkeypatch):
    """aiosmtpd on loopback, with MONITOR_SMTP_URL pointing at it."""
    controller, sink = start_smtp()
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{controller.port}")
    sink.port = controller.port
    yield sink
    controller.stop()


# Factories ---------------------------------------------------------------------------------


def add(row):
    from monitor.config import get_settings

    with session_scope(get_settings().database_url) as session:
        session.add(row)
        session.flush()
        session.refresh(row)
    return row


def make_person(name: str = "Vladimir Vorontsov") -> Person:
    return add(Person(name=name))


def make_source(name: str = "Example News") -> Source:
    return add(Source(url=f"https://example.org/{uuid.uuid4().hex}.xml", name=name))


def make_mention(source: Source, people: list[Person], *, title: str, published_at=NOON, fetched_at=None,
                 status: str = "new", url: str | None = "https://example.org/story", text: str = "") -> Mention:
    mention = add(Mention(source_id=source.id, guid=uuid.uuid4().hex, title=title, text=text, url=url,
                          published_at=published_at, fetched_at=fetched_at or NOON, status=status))
    for person in people:
        add(MentionPerson(mention_id=mention.id, person_id=person.id, alias=person.name))
    return mention


def make_recipient(email: str = "desk@example.org", people: list[str] | None = None, active: bool = True) -> Recipient:
    return add(Recipient(email=email, people=people, active=active))


def make_spike(person: Person, hour: datetime, count: int = 40) -> Spike:
    return add(Spike(person_id=person.id, hour=hour, count=count, expected=3.5, score=9.0))


def deliveries() -> list[DigestDelivery]:
    from monitor.config import get_settings

    with session_scope(get_settings().database_url) as session:
        return list(session.exec(select(DigestDelivery).order_by(DigestDelivery.recipient_id)))


def bodies(sink, to: str) -> list[tuple[str, str, str]]:
    """(subject, text, html) of every message ``sink`` received for ``to``."""
    found = []
    for envelope, msg in zip(sink.envelopes, sink.messages()):
        if to in envelope.rcpt_tos:
            text = msg.get_body(("plain",)).get_content()
            found.append((msg["Subject"], text, msg.get_body(("html",)).get_content()))
    return found


def send(**kwargs) -> list[str]:
    return send_digests(**{"day": DAY, "force": False, "digest": MOSCOW, **kwargs})


# Tests -------------------------------------------------------------------------------------


def test_it_sends_each_recipient_one_digest_with_only_their_people(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    source = make_source()
    make_mention(source, [vorontsov], title="Vorontsov detained in Kazan")
    make_mention(source, [petrova], title="Petrova released")
    make_mention(source, [vorontsov], title="Old rumour about Vorontsov", status="dismissed")
    make_recipient("desk@example.org")
    make_recipient("lawyer@example.org", people=["Anna Petrova"])

    lines = send()

    assert lines == ["desk@example.org 2026-11-22: sent 2 mentions, 0 spikes",
                     "lawyer@example.org 2026-11-22: sent 1 mention, 0 spikes"]
    assert sorted(smtp.recipients()) == ["desk@example.org", "lawyer@example.org"]
    [(subject, text, html)] = bodies(smtp, "desk@example.org")
    assert subject == "Mentions digest 2026-11-22: 2 mentions, no spikes"
    assert "Vorontsov detained in Kazan" in text and "Petrova released" in text and "Old rumour" not in text
    [(subject, text, html)] = bodies(smtp, "lawyer@example.org")
    assert "Petrova released" in text and "Petrova released" in html
    assert "Vorontsov" not in text and "Vorontsov" not in html


def test_it_groups_mentions_per_person_listing_a_shared_mention_under_each(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    make_mention(make_source(), [vorontsov, petrova], title="Joint trial opens")
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 1 mention, 0 spikes"]
    [(_, text, _)] = bodies(smtp, "desk@example.org")
    assert text.count("Joint trial opens") == 2
    assert text.index("Anna Petrova (1)") < text.index("Vladimir Vorontsov (1)")


def test_it_covers_the_local_day_in_the_digest_timezone(smtp):
    person, source = make_person(), make_source()
    make_mention(source, [person], title="first minute", published_at=DAY_START)
    make_mention(source, [person], title="last minute", published_at=DAY_START + timedelta(hours=23, minutes=59))
    make_mention(source, [person], title="day before", published_at=DAY_START - timedelta(minutes=1))
    make_mention(source, [person], title="day after", published_at=DAY_START + timedelta(days=1))
    make_mention(source, [person], title="undated but fetched that day", published_at=None, fetched_at=NOON)
    make_mention(source, [person], title="dated the day before, fetched that day",
                 published_at=DAY_START - timedelta(hours=2), fetched_at=NOON)
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 3 mentions, 0 spikes"]
    [(_, text, _)] = bodies(smtp, "desk@example.org")
    assert "00:00  first minute" in text and "23:59  last minute" in text
    assert "undated but fetched that day" in text
    assert "day before" not in text and "day after" not in text


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


def test_it_escapes_hostile_feed_text_and_sends_text_and_html_parts(smtp, settings):
    make_mention(make_source('Evil <img src=x onerror=alert(1)>'), [make_person()],
                 title='<script>alert("x")</script> Court ruling', url="javascript:alert(1)",
                 text="<p>Full <b>story</b>\u202e here</p><script>steal()</script>")
    make_recipient()

    send()

    [(_, text, html)] = bodies(smtp, "desk@example.org")
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Court ruling" in html
    assert "Full story here" in text and "Full story here" in html and "steal()" not in text + html
    assert "\u202e" not in text + html
    assert f'href="{settings.base_url}/review"' in html and f"{settings.base_url}/review" in text


def test_it_sends_a_short_digest_on_a_day_without_mentions(smtp):
    make_mention(make_source(), [make_person()], title="Another day", published_at=NOON + timedelta(days=3))
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 0 mentions, 0 spikes"]
    [(subject, text, html)] = bodies(smtp, "desk@example.org")
    assert subject == "Mentions digest 2026-11-22: no mentions, no spikes"
    assert "No mentions on 2026-11-22" in text and "No mentions on 2026-11-22" in html
    assert "Another day" not in text


def test_it_lists_the_days_spikes_of_the_recipients_people(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    make_spike(vorontsov, DAY_START + timedelta(hours=14), count=41)
    make_spike(vorontsov, DAY_START - timedelta(hours=1))
    make_spike(petrova, DAY_START + timedelta(hours=3))
    make_recipient(people=["Vladimir Vorontsov"])

    assert send() == ["desk@example.org 2026-11-22: sent 0 mentions, 1 spike"]
    [(subject, text, html)] = bodies(smtp, "desk@example.org")
    assert subject == "Mentions digest 2026-11-22: no mentions, 1 spike"
    assert "Vladimir Vorontsov: 41 mentions at 14:00" in text and "Petrova" not in text
    assert deliveries()[0].spike_count == 1


def test_it_records_a_failure_and_the_next_run_retries(smtp, monkeypatch):
    make_mention(make_source(), [make_person()], title="Appeal filed")
    make_recipient("desk@example.org")
    make_recipient("ngo@example.org")
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{free_port()}")

    lines = send()

    assert all("failed: SMTP smtp://127.0.0.1:" in line and "connection refused" in line for line in lines)
    assert len(lines) == 2
    assert [(row.status, "connection refused" in row.error) for row in deliveries()] == [("failed", True)] * 2
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{smtp.port}")
    assert send() == ["desk@example.org 2026-11-22: sent 1 mention, 0 spikes",
                      "ngo@example.org 2026-11-22: sent 1 mention, 0 spikes"]
    assert sorted(smtp.recipients()) == ["desk@example.org", "ngo@example.org"]
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


def test_it_sends_nothing_to_inactive_recipients(smtp):
    make_recipient("gone@example.org", active=False)

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


def test_the_scheduler_waits_for_send_at_then_sends_yesterdays_digest_once(smtp):
    make_mention(make_source(), [make_person()], title="Sentencing today")
    make_recipient()
    before = datetime(2026, 11, 23, 4, 59, tzinfo=timezone.utc)  # 07:59 in Moscow

    assert send_due_digests(digest=MOSCOW, now=before) == []
    assert smtp.envelopes == [] and deliveries() == []
    assert send_due_digests(digest=MOSCOW, now=before + timedelta(minutes=1)) == [
        "desk@example.org 2026-11-22: sent 1 mention, 0 spikes"
    ]
    assert send_due_digests(digest=MOSCOW, now=before + timedelta(minutes=6)) == []
    assert len(smtp.envelopes) == 1 and "Sentencing today" in bodies(smtp, "desk@example.org")[0][1]


def test_the_scheduler_retries_a_failed_digest_only_after_a_pause(smtp, monkeypatch):
    make_recipient()
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{free_port()}")
    assert "failed" in send_due_digests(digest=MOSCOW, now=NEXT_MORNING)[0]
    use_smtp_url(monkeypatch, f"smtp://127.0.0.1:{smtp.port}")

    assert send_due_digests(digest=MOSCOW, now=NEXT_MORNING + timedelta(minutes=5)) == []
    assert send_due_digests(digest=MOSCOW, now=NEXT_MORNING + timedelta(minutes=20)) == [
        "desk@example.org 2026-11-22: sent 0 mentions, 0 spikes"
    ]
    assert len(smtp.envelopes) == 1


def test_it_takes_over_a_delivery_abandoned_mid_send_but_not_a_fresh_one(smtp):
    stale, fresh = make_recipient("stale@example.org"), make_recipient("fresh@example.org")
    add(DigestDelivery(recipient_id=stale.id, day=DAY, status="sending", claimed_at=NEXT_MORNING - timedelta(hours=1)))
    add(DigestDelivery(recipient_id=fresh.id, day=DAY, status="sending", claimed_at=NEXT_MORNING - timedelta(minutes=1)))

    assert send(now=NEXT_MORNING) == ["stale@example.org 2026-11-22: sent 0 mentions, 0 spikes",
                                      "fresh@example.org 2026-11-22: being sent by another process"]
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
    run = CliRunner().invoke

    first = run(app, ["digest", "send", "--date", "2026-11-22", "--config", str(config)])
    second = run(app, ["digest", "send", "--date", "2026-11-22", "--config", str(config)])
    forced = run(app, ["digest", "send", "--date", "2026-11-22", "--force", "--config", str(config)])

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "desk@example.org 2026-11-22: sent 1 mention, 0 spikes"
    assert second.stdout.strip() == "desk@example.org 2026-11-22: already sent"
    assert forced.stdout.strip() == "desk@example.org 2026-11-22: sent 1 mention, 0 spikes"
    assert smtp.recipients() == ["desk@example.org", "desk@example.org"]
    assert "Воронцов задержан" in bodies(smtp, "desk@example.org")[0][1]
