"""A digest for a day that has not ended in the recipient's timezone is refused unless
forced, on the command line and on the scheduler's path. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from monitor.core.config_file import DigestEntry
from monitor.entry.cli import app
from monitor.notify.digest import send_digests, send_due_digests
from monitor.notify.digest.delivery import day_has_ended, due_day
from tests.support.digest import deliveries, make_recipient

UTC_DIGEST = DigestEntry(timezone="UTC", send_at=time(0, 0))
# 02:00 UTC on 15 March: already the 15th in Moscow (05:00), still the 14th in Los Angeles (19:00).
NOW = datetime(2026, 3, 15, 2, 0, tzinfo=timezone.utc)
DAY = date(2026, 3, 14)


def test_a_day_not_yet_over_for_the_recipient_is_refused_and_left_unsent(smtp):
    make_recipient("la@example.org", timezone="America/Los_Angeles")
    make_recipient("moscow@example.org", timezone="Europe/Moscow")
    report = send_digests(day=DAY, force=False, digest=UTC_DIGEST, now=NOW)
    assert report[0].startswith("la@example.org 2026-03-14: not sent: the day has not ended in America/Los_Angeles")
    assert report[1] == "moscow@example.org 2026-03-14: sent 0 mentions, 0 spikes"
    assert smtp.recipients() == ["moscow@example.org"]
    # Nothing is marked sent for Los Angeles, so its real digest still goes once the day is over.
    assert [d.status for d in deliveries()] == ["sent"]
    later = send_digests(day=DAY, force=False, digest=UTC_DIGEST, now=NOW + timedelta(hours=6))
    assert later[0] == "la@example.org 2026-03-14: sent 0 mentions, 0 spikes"


def test_force_sends_a_day_that_has_not_ended(smtp):
    make_recipient("la@example.org", timezone="America/Los_Angeles")
    assert send_digests(day=DAY, force=True, digest=UTC_DIGEST, now=NOW) == [
        "la@example.org 2026-03-14: sent 0 mentions, 0 spikes"
    ]


def test_the_cli_refuses_today_and_a_future_date_with_exit_1_and_force_sends(smtp, tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[[recipient]]\nemail = "desk@example.org"\n\n[digest]\ntimezone = "UTC"\nsend_at = "08:00"\n', encoding="utf-8"
    )
    run = CliRunner().invoke
    today = datetime.now(timezone.utc).date()
    for day in (today, today + timedelta(days=3)):
        refused = run(app, ["digest", "send", "--date", day.isoformat(), "--config", str(config), "--allow-empty"])
        assert refused.exit_code == 1, refused.output
        assert f"desk@example.org {day}: not sent: the day has not ended in UTC" in refused.stdout
    assert smtp.recipients() == [] and deliveries() == []
    forced = run(
        app, ["digest", "send", "--date", today.isoformat(), "--force", "--config", str(config), "--allow-empty"]
    )
    assert forced.exit_code == 0, forced.output
    assert smtp.recipients() == ["desk@example.org"]


def test_the_scheduler_never_sends_a_day_that_has_not_ended(smtp):
    make_recipient("kiritimati@example.org", timezone="Pacific/Kiritimati")  # UTC+14
    make_recipient("pago@example.org", timezone="Pacific/Pago_Pago")  # UTC-11
    midnight = DigestEntry(timezone="UTC", send_at=time(0, 0))
    for hour in range(0, 48, 5):
        send_due_digests(digest=midnight, now=NOW + timedelta(hours=hour))
    assert len(deliveries()) >= 4  # each recipient got its days, one by one
    for delivery in deliveries():
        zone = ZoneInfo("Pacific/Kiritimati" if delivery.recipient_id == 1 else "Pacific/Pago_Pago")
        assert day_has_ended(delivery.day, zone, delivery.claimed_at)


@hsettings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
    ),
    zone=st.sampled_from(["UTC", "Europe/Moscow", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kathmandu"]),
    send_at=st.times(),
)
def test_the_due_day_has_always_ended_and_today_never_has(moment, zone, send_at):
    tz = ZoneInfo(zone)
    entry = DigestEntry(timezone=zone, send_at=send_at.replace(microsecond=0, second=0, tzinfo=None))
    assert day_has_ended(due_day(tz, entry, moment), tz, moment)
    assert not day_has_ended(moment.astimezone(tz).date(), tz, moment)
