"""Bluesky Jetstream end to end: a loopback Jetstream, real ``monitor stream`` processes, both databases.

Posts naming a tracked person are stored once, unrelated ones not; across a dropped
connection and a restart the cursor is resumed (the server sees it) and nothing is stored
twice; hostile frames are skipped and counted; the request names nobody.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Mention, MentionPerson, Source, StreamState
from tests.support import paths
from tests.support.stream_standins import (
    JetstreamStandIn,
    jetstream_post,
    now_us,
    run_stream,
    stream_until,
    write_config,
)

REPO = paths.REPO


def stored() -> list[str]:
    """The guid of every stored mention, each linked to the tracked person."""
    with db.session_scope() as session:
        guids = list(session.exec(select(Mention.guid).order_by(Mention.id)))
        linked = session.execute(sa.select(sa.func.count()).select_from(MentionPerson)).scalar_one()
    assert linked == len(guids)
    return guids


def stored_cursor() -> str | None:
    """The Jetstream source's stored cursor (None before the stream has made the source)."""
    with db.session_scope() as session:
        return session.exec(select(Source.cursor).where(Source.kind == "jetstream")).first()


def jetstream_source() -> Source:
    with db.session_scope() as session:
        return session.exec(select(Source).where(Source.kind == "jetstream")).one()


@pytest.fixture
def jetstream():
    server = JetstreamStandIn(drop_after=3).start()
    yield server
    server.stop()


def test_posts_naming_a_person_are_stored_once_across_a_drop_and_a_restart(settings, jetstream, tmp_path):
    write_config(settings.config, f'[stream.bluesky]\nenabled = true\nurl = "{jetstream.url}"\n')
    base = now_us() - 60_000_000
    jetstream.add(jetstream_post(base + 1, "Суд продлил арест Владимира Воронцова", rkey="named1"))
    jetstream.add(jetstream_post(base + 2, "Nothing about anyone here", rkey="other1"))
    jetstream.add({"did": "did:plc:x", "time_us": base + 3, "kind": "identity", "identity": {}})
    # The first connection drops here.
    jetstream.add_raw(base + 4, "{not json")
    jetstream.add(jetstream_post(base + 5, "Vorontsov appeal hearing today", rkey="named2"))
    jetstream.add(jetstream_post(base + 6, "The Vorontsov Palace is a museum now", rkey="other2", langs=None))

    first = stream_until(lambda: stored_cursor() == str(base + 6), "the last event's cursor stored")
    assert first.returncode == 0, first.stderr
    assert stored() == [
        "at://did:plc:author/app.bsky.feed.post/named1",
        "at://did:plc:author/app.bsky.feed.post/named2",
    ]
    cursors = jetstream.cursors()
    assert cursors[0] is None and cursors[1] == str(base + 3), cursors  # resumed where the drop left it
    assert jetstream_source().cursor == str(base + 6)

    jetstream.add(jetstream_post(base + 7, "Владимир Воронцов переведён в другую колонию", rkey="named3"))
    before = len(stored())
    second = stream_until(lambda: stored_cursor() == str(base + 7), "the new event's cursor stored")
    assert second.returncode == 0, second.stderr
    assert jetstream.cursors()[2] == str(base + 6)  # the restart resumed from the stored cursor
    guids = stored()
    assert len(guids) == before + 1 and len(set(guids)) == len(guids)
    assert guids[-1].endswith("/named3")
    with db.session_scope() as session:
        state = session.get(StreamState, jetstream_source().id)
    assert state.skipped == 1 and state.events >= 7
    assert state.last_event_at is not None


def test_the_jetstream_request_names_nobody_on_the_watch_list(settings, jetstream):
    write_config(settings.config, f'[stream.bluesky]\nurl = "{jetstream.url}"\n')
    jetstream.add(jetstream_post(now_us() - 1_000_000, "Vorontsov", rkey="a"))
    result = run_stream(6)
    assert result.returncode == 0, result.stderr
    assert jetstream.ws_requests(), "the stream process never connected"
    sent = json.dumps([(r.path, r.headers) for r in jetstream.requests]).casefold() + " ".join(jetstream.received)
    logged = (result.stdout + result.stderr).casefold()
    for name in ("vorontsov", "воронцов", "владимир", "vladimir"):
        assert name not in sent and name not in logged
    assert all(
        r.query["wantedCollections"] == ["app.bsky.feed.post", "app.bsky.feed.repost"] for r in jetstream.ws_requests()
    )


def test_a_config_of_streams_alone_restarts(settings, jetstream):
    write_config(settings.config, f'[stream.bluesky]\nurl = "{jetstream.url}"\n', polled="")
    assert run_stream(1).returncode == 0
    assert run_stream(1).returncode == 0
