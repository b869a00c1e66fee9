"""The poll lease with real parts: a Celery worker process, Redis, PostgreSQL.

A claimed source carries a short lease (``MONITOR_POLL_LEASE_SECONDS``). While its batch
runs, the batch renews it; when the worker is killed (SIGKILL, no goodbye) the renewals
stop, the lease lapses within its length, and the next dispatch polls the source again.
Redis redelivery is pushed out of the way (visibility timeout of an hour), so only the lease
can bring the source back.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from monitor.core import db
from monitor.core import storage as store
from monitor.core.config_file import load_watchlist
from monitor.core.models import Source, utcnow
from monitor.core.settings import get_settings
from tests.fixtures import feeds
from tests.support import stack
from tests.support.feedserver import FeedServer, Route
from tests.support.workers import _log, _ready, _worker, private_redis

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]
LEASE = 3.0  # seconds; renewed every second while the batch runs
SLOW = 14.0  # the slow feed's answer time: longer than several leases


def _source(url: str) -> Source:
    with db.session_scope() as session:
        source = session.exec(select(Source).where(Source.url == url)).one()
        session.expunge(source)
        return source


def _dispatch(redis_url: str) -> None:
    from workers.app import create_app

    get_settings.cache_clear()
    create_app().send_task("workers.tasks.dispatch_due_sources")


def _slow_server(server: FeedServer, delays: dict[str, float], started: dict[str, int]) -> None:
    answer = server._answer

    def slow(route, headers):
        path = next((p for p, r in server.routes.items() if r is route), "")
        started[path] = started.get(path, 0) + 1
        time.sleep(delays.get(path, 0))
        return answer(route, headers)

    server._answer = slow


def test_a_running_batch_renews_its_lease_and_a_killed_workers_lease_lapses(settings, monkeypatch, tmp_path):
    delays, started = {"/slow": SLOW}, {}
    with (
        FeedServer(
            {"/slow": Route(feeds.rss("http://s.example")), "/fast": Route(feeds.rss("http://f.example"))}
        ) as server,
        private_redis() as (redis_url, _),
    ):
        _slow_server(server, delays, started)
        settings.config.write_text(feeds.config([server.url("/slow"), server.url("/fast")]), encoding="utf-8")
        with db.session_scope() as session:
            store.sync_watchlist(session, watchlist=load_watchlist(settings.config))
        monkeypatch.setenv("MONITOR_BROKER_URL", redis_url)
        env = dict(os.environ, MONITOR_POLL_LEASE_SECONDS=str(LEASE), MONITOR_BROKER_VISIBILITY_TIMEOUT="3600")
        with _worker(tmp_path, "doomed", env, concurrency=1) as doomed:
            _ready(tmp_path, "doomed")
            claimed_at = utcnow()
            _dispatch(redis_url)
            stack.wait_for(
                lambda: _source(server.url("/fast")).last_polled_at,
                timeout=30,
                what=f"the fast source written\n{_log(tmp_path, 'doomed')}",
            )
            assert _source(server.url("/fast")).lease_until is None, "a written poll ends its lease"
            # The slow fetch goes on; its lease is renewed past its first end, again and again.
            first_end = claimed_at + timedelta(seconds=LEASE)
            renewals = set()
            for _ in range(6):
                time.sleep(1.0)
                lease = _source(server.url("/slow")).lease_until
                assert lease is not None and lease > utcnow(), "the lease never lapses while the batch runs"
                renewals.add(lease)
            assert max(renewals) > first_end + timedelta(seconds=3) and len(renewals) >= 3
            assert started.get("/slow") == 1 and _source(server.url("/slow")).last_polled_at is None
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait()
            killed_at = utcnow()
        held = _source(server.url("/slow")).lease_until
        time.sleep(1.5)
        assert _source(server.url("/slow")).lease_until == held, "nothing renews a dead worker's lease"
        stack.wait_for(lambda: _due(server.url("/slow")), timeout=LEASE + 5, what="the lease to lapse")
        assert utcnow() - killed_at <= timedelta(seconds=LEASE + 2)
        delays["/slow"] = 0
        with _worker(tmp_path, "heir", env):
            _ready(tmp_path, "heir")
            _dispatch(redis_url)
            stack.wait_for(
                lambda: _source(server.url("/slow")).last_polled_at,
                timeout=30,
                what=f"the slow source polled again\n{_log(tmp_path, 'heir')}",
            )
    assert started["/slow"] == 2 and _source(server.url("/slow")).lease_until is None


def _due(url: str) -> bool:
    with db.session_scope() as session:
        return any(u == url for _, u in store.due_sources(session, now=utcnow()))
