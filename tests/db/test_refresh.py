"""Spikes are recomputed after polls, at most once per gap across workers, not in every batch."""

from __future__ import annotations

from datetime import timedelta

from monitor.core import db
from monitor.core import storage as store
from monitor.core.models import utcnow


def test_one_refresh_claim_per_gap_however_many_workers_ask(settings):
    now = utcnow()
    with db.session_scope() as session:
        assert store.claim_spike_refresh(session, now=now, min_gap_seconds=30)
    with db.session_scope() as session:
        assert not store.claim_spike_refresh(session, now=now + timedelta(seconds=5), min_gap_seconds=30)
        assert not store.claim_spike_refresh(session, now=now + timedelta(seconds=29), min_gap_seconds=30)
    with db.session_scope() as session:
        assert store.claim_spike_refresh(session, now=now + timedelta(seconds=31), min_gap_seconds=30)
    with db.session_scope() as session:
        assert not store.claim_spike_refresh(session, now=now + timedelta(seconds=40), min_gap_seconds=30)
