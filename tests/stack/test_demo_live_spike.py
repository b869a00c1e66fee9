"""The demo still shows a spike alerted live: its first burst is backfill (no alert), and a
second one, published after the demo started, is found by a later poll and alerted."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Person, Spike, SpikeAlert
from monitor.entry.cli import prepare
from monitor.entry.demo import LIVE_BURST_AFTER, PEOPLE, DemoServer, demo_config
from monitor.entry.polling import poll_all_once
from monitor.notify.refresh import refresh_spikes


def _alerted_people() -> dict[str, int]:
    with db.session_scope() as session:
        rows = session.exec(
            select(Person.name)
            .join(Spike, Spike.person_id == Person.id)
            .join(SpikeAlert, SpikeAlert.spike_id == Spike.id)
        ).all()
    return {name: rows.count(name) for name in set(rows)}


@pytest.mark.slow
def test_the_demo_alerts_its_live_burst_and_not_its_backfilled_one(settings, tmp_path):
    # As if the demo started a little under LIVE_BURST_AFTER ago: the live burst starts soon.
    epoch = datetime.now(timezone.utc) - LIVE_BURST_AFTER + timedelta(seconds=3)
    server = DemoServer(epoch=epoch).start()
    try:
        config = tmp_path / "monitor.toml"
        config.write_text(demo_config(server.base_url), encoding="utf-8")
        prepare(config)
        poll_all_once()  # the first poll: every post so far is backfill
        with db.session_scope() as session:
            assert session.exec(select(Spike)).all(), "the backfilled burst is still a spike on the page"
        assert _alerted_people() == {}
        time.sleep(15)  # the live burst is being published
        poll_all_once()
        refresh_spikes()
    finally:
        server.stop()
    assert _alerted_people() == {PEOPLE[1][0]: 1}
    assert list((settings.data_dir / "outbox").glob("*.eml")), "the alert email (no SMTP: the outbox)"
