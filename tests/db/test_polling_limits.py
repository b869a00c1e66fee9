"""Polling politely and adaptively, through the real poller against loopback feeds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Source
from monitor.core.settings import get_settings
from monitor.core.storage import sync_watchlist
from monitor.entry.polling import poll_all_once
from tests.fixtures import feeds
from tests.support.feedserver import FeedServer, Route


def _sync(settings, urls: list[str]) -> None:
    settings.config.write_text(feeds.config(urls), encoding="utf-8")
    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(settings.config))


def _sources() -> dict[str, Source]:
    with db.session_scope() as session:
        return {s.url: s for s in session.exec(select(Source))}


def test_a_429_with_an_http_date_retry_after_is_honoured(settings):
    later = datetime.now(timezone.utc) + timedelta(hours=3)
    with FeedServer() as server:
        server.routes["/limited"] = Route(
            "slow down",
            status=429,
            content_type="text/plain",
            headers={"Retry-After": format_datetime(later, usegmt=True)},
        )
        _sync(settings, [server.url("/limited")])
        result = poll_all_once()[0]
    source = _sources()[server.url("/limited")]
    assert "HTTP 429" in result.error and "HTTP 429" in source.last_error
    assert source.next_poll_at >= later - timedelta(seconds=2)


def test_requests_to_one_host_keep_the_minimum_gap(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_HOST_MIN_GAP_SECONDS", "0.3")
    get_settings.cache_clear()
    with FeedServer() as server:
        paths = [f"/feed{i}" for i in range(4)]
        for path in paths:
            server.routes[path] = Route(feeds.rss(server.url(path)))
        _sync(settings, [server.url(p) for p in paths])
        poll_all_once()
        starts = sorted(hit.at for hit in server.hits)
    assert len(starts) == 4
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.25


def test_the_interval_adapts_to_what_each_poll_found(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_POLL_INTERVAL_SECONDS", "1200")
    monkeypatch.setenv("MONITOR_MIN_POLL_INTERVAL_SECONDS", "300")
    get_settings.cache_clear()
    with FeedServer() as server:
        server.routes["/busy"] = Route(feeds.rss(server.url("")), etag='"1"')
        _sync(settings, [server.url("/busy")])
        poll_all_once()
        after_new = _sources()[server.url("/busy")].interval_seconds
        poll_all_once()  # 304: nothing new
        after_quiet = _sources()[server.url("/busy")].interval_seconds
    assert after_new == 600, "most items were new: poll sooner"
    assert after_quiet == 900, "nothing new: poll later"


def test_a_feed_asking_for_a_longer_ttl_gets_it(settings):
    body = feeds.rss("http://x.invalid").replace(
        "<description>test</description>", "<description>test</description><ttl>180</ttl>"
    )
    with FeedServer() as server:
        server.routes["/slow"] = Route(body)
        _sync(settings, [server.url("/slow")])
        poll_all_once()
    assert _sources()[server.url("/slow")].interval_seconds == 180 * 60
