"""Mastodon streaming: the public timeline of each listed instance, and the hashtags an admin chose.

One WebSocket per instance (``/api/v1/streaming?stream=public``), with a ``subscribe``
message per configured hashtag. Statuses arrive as ``update`` events; a boost is its
original with the booster as ``reposted_by``, so it is a sighting, not a second mention.
Streaming has no cursor: after a gap, what was missed is not replayed (the dedupe keys
keep what is replayed from being stored twice).

A server that refuses anonymous streaming (HTTP 401 or 403, common since 4.x) is polled
instead: its tag timelines when hashtags are configured, else its public timeline, every
``MONITOR_STREAM_POLL_SECONDS``, with ``min_id`` cursors per timeline kept in the source's
cursor. The sources page shows that mode and why.
"""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import quote, urlencode

import websockets

from monitor.core.config_streams import StreamSpec
from monitor.core.models import utcnow
from monitor.core.settings import Settings
from monitor.core.storage.received import Received
from monitor.ingest.fetch import FetchError, fetch_async, make_async_client
from monitor.ingest.streams import ws
from monitor.ingest.streams.events import StreamEvent, mastodon_frame, plausible, typed_item
from monitor.ingest.streams.sink import Sink
from monitor.sources.base import ParseError, http_status, one_line
from monitor.sources.mastodon import PAGE_LIMIT, MastodonAdapter

log = logging.getLogger(__name__)
REFUSED = (401, 403)


async def consume(spec: StreamSpec, sink: Sink, stop: asyncio.Event, settings: Settings) -> None:
    """Stream the instance into ``sink`` until ``stop``; poll it instead once it refuses streaming."""
    backoff = ws.Backoff(settings.stream_backoff_max_seconds)
    while not stop.is_set():
        try:
            await ws.guard(spec.connect_url, settings)
            url = f"{spec.connect_url}?stream=public"
            async with ws.connect(url, settings) as connection:
                sink.connected(url, spec.kind, *ws.handshake(connection))
                for tag in spec.tags:
                    await connection.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": tag}))
                await sink.note(mode="stream")
                await ws.pump(connection, sink, stop, mastodon_frame, backoff)
        except websockets.exceptions.InvalidStatus as exc:
            if exc.response.status_code in REFUSED:
                await sink.flush()
                return await poll(spec, sink, stop, settings, status=exc.response.status_code)
            await sink.note(error=f"streaming refused: HTTP {exc.response.status_code}")
        except ws.CONNECTION_ERRORS + (FetchError,) as exc:
            log.warning("mastodon stream ended: %s", one_line(exc), extra={"source_id": sink.source_id})
            await sink.note(error=f"stream connection ended: {one_line(exc, 200)}")
        await sink.flush()
        if not stop.is_set():
            await ws.sleep_or_stop(stop, backoff.next())


async def poll(spec: StreamSpec, sink: Sink, stop: asyncio.Event, settings: Settings, *, status: int) -> None:
    """Poll the instance's timelines until ``stop``: the fallback when streaming needs a token."""
    what = "its tag timelines" if spec.tags else "its public timeline"
    why = f"streaming refused without a token (HTTP {status}); polling {what} every {settings.stream_poll_seconds:g} s"
    log.warning("mastodon streaming refused, polling instead", extra={"source_id": sink.source_id, "status": status})
    await sink.note(mode="polling", why=why)
    cursors = _cursors(sink.cursor)
    async with make_async_client(settings, max_connections=2) as client:
        while not stop.is_set():
            for timeline, url in timelines(spec):
                await _poll_one(client, sink, timeline, url, cursors, settings)
            sink.set_cursor(json.dumps(cursors, sort_keys=True))
            await sink.flush()
            await ws.sleep_or_stop(stop, settings.stream_poll_seconds)


def timelines(spec: StreamSpec) -> list[tuple[str, str]]:
    """(cursor key, REST URL) of each timeline the fallback polls."""
    if spec.tags:
        return [(f"tag:{tag}", f"{spec.instance}/api/v1/timelines/tag/{quote(tag)}") for tag in spec.tags]
    return [("public", f"{spec.instance}/api/v1/timelines/public")]


async def _poll_one(client, sink: Sink, timeline: str, url: str, cursors: dict, settings: Settings) -> None:
    query = {"limit": str(PAGE_LIMIT), **({"min_id": cursors[timeline]} if cursors.get(timeline) else {})}
    adapter = MastodonAdapter()
    try:
        response = await fetch_async(client, f"{url}?{urlencode(query)}", settings=settings)
        parsed = adapter.parse(response.body, response.headers, response.url)
    except (FetchError, ParseError) as exc:
        message = (
            one_line(exc, 200) if http_status(exc) not in REFUSED else f"polling refused too (HTTP {http_status(exc)})"
        )
        await sink.note(error=message)
        return
    now = utcnow()
    # The response that carried the posts, kept as evidence of those that name someone.
    origin = Received.response("stream", "mastodon-timeline", response, now)
    for item in parsed.items:
        at = plausible(item.published_at, now) or now
        sink.add(StreamEvent(typed_item(item, at), at), origin=origin)
    if parsed.cursor:
        cursors[timeline] = parsed.cursor


def _cursors(stored: str | None) -> dict:
    try:
        found = json.loads(stored or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str) and v.isdigit()} if isinstance(found, dict) else {}
