"""Mastodon streaming end to end: a loopback stand-in, real ``monitor stream`` processes, both databases.

A status naming a tracked person is stored once and its boost is a sighting, not a second
mention; a dropped connection and a restart store nothing twice; a server that answers
401 to streaming is polled instead (tag timeline, ``min_id`` cursor), and the sources page
and ``/metrics`` say so.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Mention, Sighting, Source, StreamState
from tests.support.stream_standins import MastodonStandIn, mastodon_status, stream_until, write_config

NAMED = mastodon_status(101, "Суд продлил арест Владимира Воронцова")
UNRELATED = mastodon_status(102, "A quiet day at the harbour")
BOOST = mastodon_status(103, "", user="booster", boost_of=NAMED)


def mentions() -> list[str]:
    with db.session_scope() as session:
        return list(session.exec(select(Mention.guid).order_by(Mention.id)))


def sightings() -> int:
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.count()).select_from(Sighting)).scalar_one()


def skipped() -> int:
    """The frames the stream's state counts as skipped (0 before the stream has a state)."""
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.coalesce(sa.func.sum(StreamState.skipped), 0))).scalar_one()


def tag_polls(server: MastodonStandIn) -> list:
    return [r for r in server.requests if r.path.startswith("/api/v1/timelines/tag/FreeVorontsov")]


def stream_state() -> tuple[Source, StreamState]:
    with db.session_scope() as session:
        source = session.exec(select(Source).where(Source.kind == "mastodon-stream")).one()
        return source, session.get(StreamState, source.id)


@pytest.fixture
def streaming():
    server = MastodonStandIn(drop_after=2)
    server.statuses = [NAMED, UNRELATED, BOOST]
    server.frames = ['{"event": "update", "payload": "{broken"}', '{"event": "delete", "payload": "101"}']
    yield server.start()
    server.stop()


def test_a_status_and_its_boost_are_one_mention_across_a_drop_and_a_restart(settings, streaming):
    write_config(
        settings.config, f'[stream.mastodon]\ninstances = ["{streaming.instance}"]\ntags = ["FreeVorontsov"]\n'
    )
    # The boost (a sighting) and the broken frame come on the second connection only.
    first = stream_until(lambda: sightings() == 1 and skipped() >= 1, "the boost and the broken frame")
    assert first.returncode == 0, first.stderr
    assert mentions() == [NAMED["uri"]]
    assert streaming.connections >= 2  # the first was dropped after two frames, then it came back
    assert '"tag": "FreeVorontsov"' in streaming.received[0] and '"hashtag"' in streaming.received[0]
    assert sightings() == 1

    seen = streaming.connections
    second = stream_until(lambda: streaming.connections > seen and skipped() >= 2, "the restart's broken frame")
    assert second.returncode == 0, second.stderr
    assert mentions() == [NAMED["uri"]]  # replayed statuses are not stored twice
    source, state = stream_state()
    assert state.mode == "stream" and state.skipped >= 2  # a broken payload per connection
    assert source.url == f"ws://127.0.0.1:{streaming.port}/api/v1/streaming"


@pytest.fixture
def refusing():
    server = MastodonStandIn(refuse=True)
    server.statuses = [NAMED, UNRELATED]
    yield server.start()
    server.stop()


def test_a_server_that_refuses_streaming_is_polled_instead(settings, refusing, monkeypatch):
    monkeypatch.setenv("MONITOR_STREAM_POLL_SECONDS", "0.5")
    write_config(settings.config, f'[stream.mastodon]\ninstances = ["{refusing.instance}"]\ntags = ["FreeVorontsov"]\n')
    result = stream_until(lambda: len(tag_polls(refusing)) >= 2 and mentions(), "a stored post and a second poll")
    assert result.returncode == 0, result.stderr
    assert mentions() == [NAMED["uri"]]
    source, state = stream_state()
    assert state.mode == "polling" and "HTTP 401" in state.note and "tag timelines" in state.note
    polls = tag_polls(refusing)
    assert len(polls) >= 2
    assert "min_id" not in polls[0].query and polls[1].query["min_id"] == ["102"]  # the newest id seen
    assert source.cursor == '{"tag:FreeVorontsov": "102"}'
    assert "vorontsov" not in (result.stdout + result.stderr).casefold()  # no URL with the hashtag in the logs
