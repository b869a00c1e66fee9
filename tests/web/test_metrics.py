"""/metrics (Prometheus text) and the heartbeat /healthz reports, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from monitor.core import db
from monitor.core.models import Source, utcnow
from monitor.core.settings import get_settings
from monitor.ingest import metrics
from monitor.ingest.poller import PollResult
from monitor.web.app import create_app

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def client(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client


def _source(**fields) -> int:
    with db.session_scope() as session:
        source = Source(url=f"https://feeds.example/{utcnow().timestamp()}", **fields)
        session.add(source)
        session.flush()
        return source.id


def test_polls_errors_and_new_mentions_add_up_per_source(client):
    one, two = _source(), _source(last_success_at=utcnow().replace(microsecond=0))
    with db.session_scope() as session:
        metrics.record_polls(session, results=[PollResult(one, "a", new=3), PollResult(two, "b", error="HTTP 500")])
    with db.session_scope() as session:
        metrics.record_polls(session, results=[PollResult(one, "a", new=2)])
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert f'monitor_polls_total{{source_id="{one}"}} 2' in text
    assert f'monitor_new_mentions_total{{source_id="{one}"}} 5' in text
    assert f'monitor_poll_errors_total{{source_id="{two}"}} 1' in text
    assert f'monitor_poll_errors_total{{source_id="{one}"}} 0' in text
    assert f'monitor_last_successful_poll_timestamp_seconds{{source_id="{two}"}}' in text
    assert "monitor_queue_length 0" in text  # the embedded broker's empty folder
    assert "# TYPE monitor_polls_total counter" in text and "https://" not in text


def test_metrics_need_the_token_or_a_session(client):
    assert client.get("/metrics", follow_redirects=False).headers.get("location") == "/login"
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"}, follow_redirects=False)
    assert wrong.status_code == 303


def test_healthz_reports_the_heartbeat_age(client):
    assert client.get("/healthz").json() == {"status": "ok", "worker": "unknown", "heartbeat_age_seconds": None}
    with db.session_scope() as session:
        metrics.beat(session, now=utcnow() - timedelta(seconds=10))
    answer = client.get("/healthz").json()
    assert answer["worker"] == "ok" and 9 <= answer["heartbeat_age_seconds"] < 60
    with db.session_scope() as session:
        metrics.beat(session, now=utcnow() - timedelta(hours=1))
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["worker"] == "stale"


def test_the_heartbeat_task_beats_and_is_on_the_beat_schedule(settings):
    from workers import tasks
    from workers.app import create_app as celery_app

    tasks.heartbeat()
    with db.session_scope() as session:
        assert metrics.heartbeat_age(session) < 5
    app = celery_app()
    assert app.conf.beat_schedule["heartbeat"]["task"] == "workers.tasks.heartbeat"
    assert app.conf.worker_max_tasks_per_child and app.conf.worker_max_memory_per_child


def test_a_poll_run_counts_in_the_metrics(settings):
    from monitor.entry.polling import poll_all_once
    from tests.fixtures import feeds
    from tests.support.feedserver import FeedServer, Route
    from tests.support.sources import _sync

    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        _sync(settings, feeds.config([server.url("/rss")]))
        results = poll_all_once()
    with db.session_scope() as session:
        text = metrics.render(session)
    assert f'monitor_new_mentions_total{{source_id="{results[0].source_id}"}} {results[0].new}' in text
    assert f'monitor_polls_total{{source_id="{results[0].source_id}"}} 1' in text


def test_a_poll_logs_one_json_line_per_source_with_its_id_and_counts(settings):
    import io
    import json
    import logging

    from monitor.core.logs import JsonFormatter
    from monitor.entry.polling import poll_all_once
    from tests.fixtures import feeds
    from tests.support.feedserver import FeedServer, Route
    from tests.support.sources import _sync

    stream, logger = io.StringIO(), logging.getLogger("monitor.ingest.poller")
    handler, level = logging.StreamHandler(stream), logger.level
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with FeedServer() as server:
            server.routes["/rss"] = Route(feeds.rss(server.url("")))
            _sync(settings, feeds.config([server.url("/rss")]))
            (result,) = poll_all_once()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    polled = [line for line in lines if line.get("source_id") == result.source_id]
    assert polled and polled[-1]["new"] == result.new > 0 and polled[-1]["level"] == "INFO"
    assert polled[-1]["logger"] == "monitor.ingest.poller" and "at" in polled[-1]
