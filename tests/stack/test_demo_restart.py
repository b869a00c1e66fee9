"""Restarting the demo keeps its sources: same port, same feeds, same source rows, nothing
stored twice, reviewed posts stay reviewed, no new spike or alert. `monitor poll --once`
reaches the demo's loopback feeds without MONITOR_ALLOW_PRIVATE_NETWORKS, and only them.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Mention, Source, Spike, SpikeAlert
from monitor.core.settings import get_settings
from monitor.entry.cli import prepare
from monitor.entry.demo import demo_config, mark_demo_sources, start_demo
from monitor.entry.polling import poll_all_once
from tests.fixtures import feeds
from tests.support import cli
from tests.support.feedserver import FeedServer, Route


@pytest.fixture
def no_private(settings, monkeypatch):
    """The settings of a user who never allowed private networks."""
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "false")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _run_demo_once(folder: Path) -> dict:
    """What `monitor up --demo` does before its children start, then one poll; the server is stopped after."""
    server = start_demo(folder)
    try:
        config = folder / "monitor.toml"
        config.write_text(demo_config(server.base_url), encoding="utf-8")
        watchlist = prepare(config)
        with db.session_scope() as session:
            mark_demo_sources(session, [s.url for s in watchlist.sources])
        results = poll_all_once()
    finally:
        server.stop()
    with db.session_scope() as session:
        return {
            "base": server.base_url,
            "sources": sorted(session.exec(select(Source.id)).all()),
            "mentions": session.exec(select(sa.func.count(Mention.id))).one(),
            "spikes": session.exec(select(sa.func.count(Spike.id))).one(),
            "alerts": session.exec(select(sa.func.count(SpikeAlert.id))).one(),
            "errors": [r.error for r in results if r.error],
        }


def _review_first(n: int) -> list[int]:
    with db.session_scope() as session:
        mentions = session.exec(select(Mention).order_by(Mention.id).limit(n)).all()
        for mention in mentions:
            mention.review_state, mention.status, mention.label = "reviewed", "confirmed", "news"
        return [m.id for m in mentions]


def test_restarting_the_demo_twice_keeps_its_sources_mentions_reviews_and_alerts(no_private, tmp_path):
    folder = tmp_path / "data" / "demo"
    first = _run_demo_once(folder)
    assert first["errors"] == [] and first["mentions"] >= 90 and first["spikes"] >= 1
    reviewed = _review_first(5)
    for _ in range(2):
        again = _run_demo_once(folder)
        assert again["errors"] == []
        assert {k: again[k] for k in ("base", "sources", "mentions", "spikes", "alerts")} == {
            k: first[k] for k in ("base", "sources", "mentions", "spikes", "alerts")
        }
    with db.session_scope() as session:
        states = {m.id: m.review_state for m in session.exec(select(Mention).where(Mention.id.in_(reviewed)))}
    assert set(states.values()) == {"reviewed"}
    assert json.loads((folder / "state.json").read_text())["port"] == int(first["base"].rsplit(":", 1)[1])


def test_a_taken_port_moves_the_demo_and_says_so(no_private, tmp_path, capsys):
    folder = tmp_path / "demo"
    server = start_demo(folder)
    try:  # the old port is still held by the first server
        second = start_demo(folder)
        second.stop()
    finally:
        server.stop()
    assert second.base_url != server.base_url
    assert "is taken" in capsys.readouterr().err


def test_poll_once_by_hand_reaches_the_demo_feeds_and_no_other_loopback_source(no_private, tmp_path):
    folder = tmp_path / "data" / "demo"
    server = start_demo(folder)
    with FeedServer() as other:
        other.routes["/rss"] = Route(feeds.rss(other.url("")))
        try:
            config = folder / "monitor.toml"
            config.write_text(
                demo_config(server.base_url) + f'\n[[source]]\nurl = "{other.url("/rss")}"\nname = "not demo"\n',
                encoding="utf-8",
            )
            watchlist = prepare(config)
            with db.session_scope() as session:
                mark_demo_sources(session, [s.url for s in watchlist.sources if s.url.startswith(server.base_url)])
            # The README's bare command, from a folder with no monitor.toml of its own.
            env = {k: v for k, v in os.environ.items() if k not in ("MONITOR_ALLOW_PRIVATE_NETWORKS", "MONITOR_CONFIG")}
            done = cli.monitor("poll", "--once", env=env, cwd=tmp_path)
        finally:
            server.stop()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    demo_lines = [line for line in lines if line.startswith(("Demo", "Демо"))]
    assert len(demo_lines) == 3 and all(line.endswith(", ok") for line in demo_lines), done.stdout
    assert any(line.startswith("not demo:") and "failed" in line and "non-public" in line for line in lines), (
        done.stdout
    )


def test_nothing_but_the_launcher_marks_a_source_as_the_demos(no_private, tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(feeds.CONFIG_PEOPLE + '\n[[source]]\nurl = "http://127.0.0.1:9/feed"\n', encoding="utf-8")
    prepare(config)
    with db.session_scope() as session:
        assert session.exec(select(Source.demo)).all() == [False]
