"""Exactly-once storage with real parts: Celery worker processes, Redis, PostgreSQL.

Every test compares the final database with a clean run: the same feeds polled once,
in-process, into a second PostgreSQL database. Compared by content (canonical URLs, source
URLs, cluster partition, people), never by ids.

* two workers polling the same sources at once store each post once;
* a worker killed with SIGKILL mid-poll: its task is redelivered after the (shortened)
  visibility timeout and the final state equals the clean run;
* Redis restarted during a poll: the worker reconnects, the poll completes, the worker
  consumes again;
* PostgreSQL unreachable for a few seconds during the write: the write is retried and
  nothing is lost.

Redis and the PostgreSQL outage are private to these tests: a redis-server of their own on a
free port, and a TCP proxy in front of the shared PostgreSQL that the test can cut. The
shared servers other tests use are never restarted.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections import defaultdict

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Mention, MentionPerson, Person, Sighting, Source, SourceStats
from monitor.core.settings import get_settings
from monitor.core.storage import sync_watchlist
from tests.fixtures import clusters as corpus
from tests.fixtures import feeds
from tests.support import databases, stack
from tests.support.feedserver import FeedServer, Route
from tests.support.workers import (
    VISIBILITY_TIMEOUT,
    _json_lines,
    _log,
    _ready,
    _worker,
    _worker_env,
    private_redis,
)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]
FEEDS = 6


# --- the feeds: shared posts on every feed, story copies spread over them --------------------


def _feed_posts(i: int) -> list[tuple[str, str, str]]:
    copies = [
        (f"c{n}", title, text)
        for n, (_, title, text) in enumerate(corpus.corpus())
        if n % FEEDS in (i, (i + 1) % FEEDS)
    ]
    return list(feeds.POSTS) + copies


class Feeds:
    """The feeds on ``server``; ``delays`` (path → seconds) slows answers, ``started`` counts requests begun."""

    def __init__(self, server: FeedServer):
        self.delays: dict[str, float] = {}
        self.started: dict[str, int] = defaultdict(int)
        for i in range(FEEDS):
            server.routes[f"/feed{i}"] = Route(feeds.rss(server.url(""), posts=_feed_posts(i)))
        self.urls = [server.url(f"/feed{i}") for i in range(FEEDS)]
        answer = server._answer

        def slow(route, headers):
            path = next((p for p, r in server.routes.items() if r is route), "")
            self.started[path] += 1
            time.sleep(self.delays.get(path, 0))
            return answer(route, headers)

        server._answer = slow


# --- private servers --------------------------------------------------------------------------


class CuttableProxy:
    """A TCP proxy to PostgreSQL; ``cut(seconds)`` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down_until = 0.0
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self, seconds: float):
        self.down_until = time.monotonic() + seconds
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.sockets.clear()

    def close(self):
        self.listener.close()


# --- running and comparing --------------------------------------------------------------------


def _sync(settings) -> list[int]:
    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(settings.config))
        return [s.id for s in session.exec(select(Source).order_by(Source.id))]


def snapshot(url: str) -> dict:
    """The stored state by content: mentions, sightings, cluster partition, people."""
    with db.session_scope(url) as session:
        mentions = session.exec(select(Mention.id, Mention.canonical_url, Mention.cluster_id)).all()
        canon = {mention_id: c for mention_id, c, _ in mentions}
        clusters = defaultdict(set)
        for mention_id, c, cluster_id in mentions:
            clusters[cluster_id].add(c)
        sources = dict(session.exec(select(Source.id, Source.url)).all())
        sightings = session.exec(select(Sighting.mention_id, Sighting.source_id)).all()
        people = session.exec(select(MentionPerson.mention_id, Person.name).join(Person)).all()
    if any(m not in canon for m, _ in [*sightings, *people]):
        # A worker committed between these reads (each SELECT sees the latest commit): not a
        # state to compare; the caller reads again.
        return {"rows": None}
    return {
        "rows": len(mentions),
        "mentions": sorted(canon.values()),
        "sightings": sorted((canon[m], sources[s]) for m, s in sightings),
        "clusters": sorted(sorted(group) for group in clusters.values()),
        "people": sorted((canon[m], name) for m, name in people),
    }


@pytest.fixture
def clean_run(settings, monkeypatch, pg_template):
    """``run(urls)``: poll the feeds once in-process into a fresh database; its snapshot."""
    made = []

    def run() -> dict:
        url = databases.fresh_pg_database(pg_template)
        made.append(url)
        main = os.environ["MONITOR_DATABASE_URL"]
        monkeypatch.setenv("MONITOR_DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            from monitor.ingest.poller import poll_many

            poll_many(_sync(get_settings()))
            return snapshot(url)
        finally:
            monkeypatch.setenv("MONITOR_DATABASE_URL", main)
            get_settings.cache_clear()

    yield run
    for url in made:
        db.get_engine(url).dispose()
        databases.drop_pg_database(url)


def _send(ids: list[int], times: int = 1) -> None:
    from workers.app import create_app

    get_settings.cache_clear()
    app = create_app()
    for _ in range(times):
        app.send_task("workers.tasks.poll_batch", args=[ids])


def _polls() -> int:
    with db.session_scope() as session:
        return session.exec(select(sa.func.coalesce(sa.func.sum(SourceStats.polls), 0))).one()


# --- the tests ----------------------------------------------------------------------------------


def test_two_workers_polling_the_same_sources_at_once_store_each_post_once(settings, clean_run, monkeypatch, tmp_path):
    with FeedServer() as server, private_redis() as (redis_url, _):
        served = Feeds(server)
        settings.config.write_text(feeds.config(served.urls), encoding="utf-8")
        expected = clean_run()
        ids = _sync(settings)
        served.delays.update({"/feed0": 1.0, "/feed3": 1.0})
        monkeypatch.setenv("MONITOR_BROKER_URL", redis_url)
        env = _worker_env(redis_url)
        with _worker(tmp_path, "one", env), _worker(tmp_path, "two", env):
            _ready(tmp_path, "one", "two")
            _send(ids, times=4)  # four overlapping polls of every source on two workers
            stack.wait_for(
                lambda: _polls() >= 4 * FEEDS,
                timeout=60,
                what=f"four polls of every source\n{_log(tmp_path, 'one')}\n{_log(tmp_path, 'two')}",
            )
    # Whole logs: the tail that _log keeps for failure messages can scroll past a worker's only batch.
    logs = [(tmp_path / f"{name}.log").read_text(errors="replace") for name in ("one", "two")]
    assert all("workers.tasks.poll_batch" in log for log in logs)
    assert snapshot(settings.database_url) == expected
    polled = [
        line
        for line in _json_lines(tmp_path, "one") + _json_lines(tmp_path, "two")
        if line["logger"] == "monitor.ingest.poller"
    ]
    assert {line["source_id"] for line in polled} == set(ids) and all(isinstance(line["new"], int) for line in polled)
    assert expected["rows"] == len(set(expected["mentions"])) > FEEDS


def test_a_worker_killed_mid_poll_has_its_task_redelivered_and_the_result_equals_a_clean_run(
    settings, clean_run, monkeypatch, tmp_path
):
    with FeedServer() as server, private_redis() as (redis_url, _):
        served = Feeds(server)
        settings.config.write_text(feeds.config(served.urls), encoding="utf-8")
        expected = clean_run()
        ids = _sync(settings)
        served.delays.update({f"/feed{i}": 6.0 for i in range(3, FEEDS)})
        monkeypatch.setenv("MONITOR_BROKER_URL", redis_url)
        env = _worker_env(redis_url)
        with _worker(tmp_path, "doomed", env, concurrency=1) as doomed:
            _send(ids)
            # Mid-poll: the fast feeds are stored, the slow ones are still being fetched.
            stack.wait_for(lambda: _polls() >= 3, timeout=30, what=f"the first writes\n{_log(tmp_path, 'doomed')}")
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait()
        partial = snapshot(settings.database_url)
        assert partial["rows"] < expected["rows"], "the kill came too late to be mid-poll"
        assert all(served.started[f"/feed{i}"] == 2 for i in range(FEEDS)), "every feed was being polled"
        time.sleep(VISIBILITY_TIMEOUT + 1)
        with _worker(tmp_path, "heir", env):
            stack.wait_for(
                lambda: _polls() >= 3 + FEEDS, timeout=60, what=f"the redelivered task\n{_log(tmp_path, 'heir')}"
            )
    assert snapshot(settings.database_url) == expected


def test_a_redis_restart_during_a_poll_is_survived(settings, clean_run, monkeypatch, tmp_path):
    with FeedServer() as server, private_redis() as (redis_url, restart):
        served = Feeds(server)
        settings.config.write_text(feeds.config(served.urls), encoding="utf-8")
        expected = clean_run()
        ids = _sync(settings)
        served.delays["/feed5"] = 6.0
        monkeypatch.setenv("MONITOR_BROKER_URL", redis_url)
        with _worker(tmp_path, "steady", _worker_env(redis_url)) as worker:
            _ready(tmp_path, "steady")
            _send(ids)
            stack.wait_for(
                lambda: served.started["/feed5"] >= 2,
                timeout=30,
                what=f"the slow fetch to start\n{_log(tmp_path, 'steady')}",
            )
            restart(down_for=1.0)
            # The per-host gate lost Redis under the slow fetch: the task is retried, and the
            # sources stored before answer "not modified" to the retry.
            stack.wait_for(
                lambda: snapshot(settings.database_url) == expected,
                timeout=60,
                what=f"the poll to complete\n{_log(tmp_path, 'steady')}",
            )
            done = _polls()
            _send(ids)  # the same worker process consumes again over its new connection
            stack.wait_for(
                lambda: _polls() >= done + FEEDS,
                timeout=60,
                what=f"a task after the restart\n{_log(tmp_path, 'steady')}",
            )
            assert worker.poll() is None
    assert snapshot(settings.database_url) == expected


def test_postgresql_unreachable_during_a_poll_loses_nothing(settings, clean_run, monkeypatch, tmp_path):
    url = sa.engine.make_url(settings.database_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        with FeedServer() as server, private_redis() as (redis_url, _):
            served = Feeds(server)
            settings.config.write_text(feeds.config(served.urls), encoding="utf-8")
            expected = clean_run()
            ids = _sync(settings)
            served.delays["/feed2"] = 4.0
            monkeypatch.setenv("MONITOR_BROKER_URL", redis_url)
            via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            with _worker(tmp_path, "patient", _worker_env(redis_url, MONITOR_DATABASE_URL=via_proxy)):
                _send(ids)
                stack.wait_for(
                    lambda: served.started["/feed2"] >= 2,
                    timeout=30,
                    what=f"the slow fetch to start\n{_log(tmp_path, 'patient')}",
                )
                proxy.cut(seconds=5)  # the writes of the fast feeds and the slow one meet a dead database
                stack.wait_for(
                    lambda: _polls() >= FEEDS, timeout=60, what=f"the poll to complete\n{_log(tmp_path, 'patient')}"
                )
        assert snapshot(settings.database_url) == expected
    finally:
        proxy.close()
