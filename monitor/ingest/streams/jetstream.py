"""Bluesky Jetstream: every post on the network, resumed by the ``time_us`` cursor.

The request names nothing but the collections and the cursor
(``?wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost&cursor=TIME_US``):
who is watched never leaves the machine. Reposts carry no text; one of a stored post is a
sighting of it. On every (re)connect the cursor is the last stored ``time_us``; Jetstream
replays from there, and what was already stored is a duplicate under its unique key.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.core.config_streams import StreamSpec
from monitor.core.settings import Settings
from monitor.ingest.fetch import FetchError
from monitor.ingest.streams import ws
from monitor.ingest.streams.events import POST_COLLECTION, REPOST_COLLECTION, jetstream_event
from monitor.ingest.streams.sink import Sink
from monitor.sources.base import one_line

log = logging.getLogger(__name__)


def subscribe_url(url: str, cursor: str | None) -> str:
    """The Jetstream URL asking for posts and reposts, from ``cursor`` (microseconds) when there is one."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("wantedCollections", "cursor")]
    query += [("wantedCollections", POST_COLLECTION), ("wantedCollections", REPOST_COLLECTION)]
    if cursor and cursor.isdigit():
        query.append(("cursor", cursor))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def consume(spec: StreamSpec, sink: Sink, stop: asyncio.Event, settings: Settings) -> None:
    """Read the Jetstream into ``sink`` until ``stop``, reconnecting with jittered backoff."""
    backoff = ws.Backoff(settings.stream_backoff_max_seconds)
    while not stop.is_set():
        try:
            await ws.guard(spec.connect_url, settings)
            url = subscribe_url(spec.connect_url, sink.cursor)
            async with ws.connect(url, settings) as connection:
                log.info("jetstream connected", extra={"source_id": sink.source_id, "cursor": sink.cursor})
                sink.connected(url, spec.kind, *ws.handshake(connection))
                await ws.pump(connection, sink, stop, jetstream_event, backoff)
        except ws.CONNECTION_ERRORS + (FetchError,) as exc:
            await _dropped(sink, exc)
        await sink.flush()
        if not stop.is_set():
            await ws.sleep_or_stop(stop, backoff.next())


async def _dropped(sink: Sink, exc: BaseException) -> None:
    if ws.too_big(exc):
        # The oversized event is lost to us; step past its time so a replay does not loop on it.
        sink.skip()
        sink.add_cursor_step()
    log.warning("jetstream connection ended: %s", one_line(exc), extra={"source_id": sink.source_id})
    await sink.note(error=f"stream connection ended: {one_line(exc, 200)}")
