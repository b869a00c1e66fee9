"""Spike alerts judge by time: a new source's or a new person's hours-old posts count in the
series but open no alert; a burst published while the monitor watches does, naming its window.
Real feeds on loopback, the real poller and detector, aiosmtpd, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Person, Source, Spike, SpikeAlert
from monitor.core.storage.backfill import at_least, opened_live
from monitor.entry.cli import prepare
from monitor.entry.polling import poll_all_once
from monitor.notify.refresh import refresh_spikes
from tests.support.feedserver import FeedServer, Route

CONFIG = """
[[person]]
name = "Vladimir Vorontsov"
aliases = ["Vorontsov"]

[[source]]
url = "{url}"
name = "Wire"

[[recipient]]
email = "desk@example.org"
"""


def rss(posts: list[tuple[str, datetime]]) -> str:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://example.org/{i}</link><guid>g-{i}-{at.timestamp()}</guid>"
        f"<pubDate>{format_datetime(at)}</pubDate></item>"
        for i, (title, at) in enumerate(posts)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'


def burst(at: datetime, n: int = 12, gap: float = 5) -> list[tuple[str, datetime]]:
    """``n`` posts about Vorontsov, ``gap`` seconds apart from ``at``."""
    return [(f"Vorontsov sentenced, post {k}", at + timedelta(seconds=gap * k)) for k in range(n)]


def _inside_this_hour(span: timedelta) -> None:
    """Wait, when the next hour starts within ``span``, until it has: a burst published from now
    on then falls in one hourly bucket. Run a minute before the hour, the live burst below was
    split across two and opened no spike (about one run in sixty)."""
    now = datetime.now(timezone.utc)
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if now + span >= next_hour:
        time.sleep((next_hour - now).total_seconds() + 0.1)


def _alerts() -> int:
    with db.session_scope() as session:
        return session.exec(select(sa.func.count(SpikeAlert.id))).one()


def test_a_new_sources_old_burst_opens_no_alert_and_a_live_burst_does(settings, smtp):
    earlier = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=21)
    with FeedServer() as server:
        server.routes["/feed"] = Route(rss(burst(earlier)))
        settings.config.write_text(CONFIG.format(url=server.url("/feed")), encoding="utf-8")
        prepare(None)
        poll_all_once()
        with db.session_scope() as session:
            backfilled = session.exec(select(Spike).where(Spike.hour == earlier)).all()
        assert backfilled, "the old burst still counts in the series at its published time"
        assert _alerts() == 0 and smtp.received == []

        _inside_this_hour(timedelta(seconds=70))
        live_start = datetime.now(timezone.utc) + timedelta(seconds=1)
        server.routes["/feed"] = Route(rss(burst(earlier) + burst(live_start)))
        poll_all_once()
    refresh_spikes()
    assert _alerts() == 1 and [to for to, _ in smtp.received] == [["desk@example.org"]]
    window = live_start.replace(minute=0, second=0, microsecond=0)
    assert (
        f"{window:%H:%M}–{window + timedelta(hours=1):%H:%M} UTC on {window.day} {window:%b %Y}" in smtp.received[0][1]
    )


def test_a_newly_tracked_persons_earlier_mentions_open_no_alert(settings, smtp):
    others = CONFIG.replace('name = "Vladimir Vorontsov"\naliases = ["Vorontsov"]', 'name = "Anna Sokolova"')
    with FeedServer() as server:
        server.routes["/feed"] = Route(rss([]))
        settings.config.write_text(others.format(url=server.url("/feed")), encoding="utf-8")
        prepare(None)
        poll_all_once()  # the source is watched from here on
        _inside_this_hour(timedelta(seconds=5))
        posted = datetime.now(timezone.utc) + timedelta(milliseconds=200)
        server.routes["/feed"] = Route(rss(burst(posted, gap=0.05)))
        time.sleep(1)  # the posts are out before anyone tracks Vorontsov
        settings.config.write_text(CONFIG.format(url=server.url("/feed")), encoding="utf-8")
        prepare(None, allow_empty=False)
        poll_all_once()
    with db.session_scope() as session:
        person = session.exec(select(Person).where(Person.name == "Vladimir Vorontsov")).one()
        spikes = session.exec(select(Spike).where(Spike.person_id == person.id)).all()
        assert person.tracked_since > posted and spikes
        assert not any(opened_live(session, s) for s in spikes)
    assert _alerts() == 0 and smtp.received == []


@pytest.mark.parametrize(
    ("first_success", "alerts_sent"),
    [
        (timedelta(hours=-1), 1),  # watched before the window: every mention live
        (timedelta(minutes=1), 0),  # one backfilled, two live: two are no burst against 3 expected
        (timedelta(hours=2), 0),  # all backfill
    ],
)
def test_a_window_with_backfill_alerts_only_when_its_live_mentions_alone_are_a_burst(smtp, first_success, alerts_sent):
    from monitor.notify import alerts
    from tests.support.alerts import HOUR, NOW, make_spike

    spike_id = make_spike()
    with db.session_scope() as session:
        session.execute(sa.update(Source).values(first_success_at=HOUR + first_success))
    assert alerts.send_spike_alerts([spike_id], now=NOW) == alerts_sent


def test_the_live_tail_is_scipys_poisson_survival_function():
    from scipy.stats import poisson

    for count in range(0, 40):
        for expected in (0.5, 0.9, 1.0, 2.5, 7.25, 30.0):
            assert at_least(count, expected) == float(poisson.sf(count - 1, expected)), (count, expected)
