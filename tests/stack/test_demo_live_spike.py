"""The demo still shows a spike alerted live: its first burst is backfill (no alert), and a
second one, published after the demo started, is found by a later poll and alerted. Its
first spike reads as the issue's wording: stories, copies and authors, not only rows."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Person, Spike, SpikeAlert
from monitor.core.storage.spike_state import ALL_KINDS
from monitor.core.storage.spikes import spikes_counts
from monitor.entry.cli import prepare
from monitor.entry.demo import BURST_AUTHORS, LIVE_BURST_AFTER, PEOPLE, DemoServer, demo_config
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
            [spike] = session.exec(select(Spike).where(Spike.source_kind == ALL_KINDS)).all()
            [counts] = spikes_counts(session, [spike])  # the backfilled burst is still a spike on the page
        # 24 posts of two appeals by 22 accounts, beside the hour's news: copies and authors.
        assert counts.stories <= 4 and counts.mentions - counts.stories >= 20 and counts.authors == BURST_AUTHORS
        assert _alerted_people() == {}
        time.sleep(15)  # the live burst is being published
        poll_all_once()
        refresh_spikes()
    finally:
        server.stop()
    assert _alerted_people() == {PEOPLE[1][0]: 1}
    assert list((settings.data_dir / "outbox").glob("*.eml")), "the alert email (no SMTP: the outbox)"
