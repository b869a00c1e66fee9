"""``monitor stream``: claim the deployment's stream lease, consume every enabled stream, stop.

One stream process per deployment: the lease is a database row (``state.claim_lease``)
renewed every third of ``MONITOR_STREAM_LEASE_SECONDS``. A second process started meanwhile
waits, checking now and then, and takes over when the first stops (at once: a clean exit
releases the lease) or dies (when its lease runs out). A holder that fails to renew in
time stops consuming, so two never consume at once for long.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import uuid
from dataclasses import dataclass, field

from monitor.core import db
from monitor.core.config_streams import StreamSpec, specs
from monitor.core.models import utcnow
from monitor.core.settings import Settings, get_settings
from monitor.core.storage import streams as state
from monitor.core.storage.matcher_cache import matcher_for
from monitor.ingest.streams import jetstream, mastodon
from monitor.ingest.streams.sink import Sink, warm_up
from monitor.matching import Matcher

log = logging.getLogger(__name__)
MATCHER_REFRESH_SECONDS = 60.0  # people added on the web are matched within this
CONSUMERS = {"jetstream": jetstream.consume, "mastodon-stream": mastodon.consume}
EXIT_LEASE_LOST = 1


@dataclass
class Run:
    """What a run did: its sinks (totals per stream) and whether it lost the lease."""

    sinks: dict[str, Sink] = field(default_factory=dict)
    waited: bool = False
    lost_lease: bool = False


def run_streams(streams: dict, *, seconds: float | None = None) -> int:
    """Consume the config's enabled streams until SIGINT/SIGTERM or ``seconds``; the exit status."""
    settings = get_settings()
    _log_to_stderr(settings)
    run = asyncio.run(_run(specs(streams), seconds, settings))
    for spec_url, sink in run.sinks.items():
        print(f"{spec_url}: {sink.events} events, {sink.skipped} skipped, {sink.stored} new mentions", flush=True)
    return EXIT_LEASE_LOST if run.lost_lease else 0


def _log_to_stderr(settings: Settings) -> None:
    # As the workers log: JSON lines, or plain ones under `monitor up` (MONITOR_LOG_FORMAT).
    from monitor.core.logs import use_format

    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
        use_format(root, text=settings.log_format == "text", log_tasks=settings.log_tasks)
    # No line per request: the Mastodon fallback's URLs carry the hashtags an admin chose.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _run(wanted: list[StreamSpec], seconds: float | None, settings: Settings) -> Run:
    stop, run = _stop_event(seconds), Run()
    if not wanted:
        print(
            "no stream is enabled in the config ([stream.bluesky], [stream.mastodon]); idle",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
        return run
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not await _acquire(holder, stop, settings, run):
        return run
    try:
        await _consume(wanted, holder, stop, settings, run)
    finally:
        await asyncio.to_thread(_release, holder)
    return run


def _stop_event(seconds: float | None) -> asyncio.Event:
    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if seconds is not None:
        loop.call_later(seconds, stop.set)
    return stop


async def _acquire(holder: str, stop: asyncio.Event, settings: Settings, run: Run) -> bool:
    """Wait for the lease until it is ours (True) or ``stop`` is set (False)."""
    while not stop.is_set():
        if await asyncio.to_thread(_claim, holder, settings.stream_lease_seconds):
            if run.waited:
                print("stream lease taken over; consuming", file=sys.stderr, flush=True)
            return True
        if not run.waited:
            print("waiting: another stream process holds the stream lease", file=sys.stderr, flush=True)
            run.waited = True
        try:
            async with asyncio.timeout(min(2.0, settings.stream_lease_seconds / 3)):
                await stop.wait()
        except TimeoutError:
            pass
    return False


async def _consume(wanted: list[StreamSpec], holder: str, stop: asyncio.Event, settings: Settings, run: Run) -> None:
    rows, matcher = await asyncio.to_thread(_load, wanted)
    for spec in wanted:
        run.sinks[spec.url] = Sink(rows[spec.url][0], matcher, cursor=rows[spec.url][1])
    print(f"streaming {len(wanted)} stream(s); stop with Ctrl-C", file=sys.stderr, flush=True)
    tasks = [asyncio.create_task(CONSUMERS[spec.kind](spec, run.sinks[spec.url], stop, settings)) for spec in wanted]
    keepers = [
        asyncio.create_task(_keep_lease(holder, stop, settings, run)),
        asyncio.create_task(_refresh_matcher(list(run.sinks.values()), stop)),
    ]
    await asyncio.gather(*tasks, *keepers)


async def _keep_lease(holder: str, stop: asyncio.Event, settings: Settings, run: Run) -> None:
    while not stop.is_set():
        try:
            async with asyncio.timeout(settings.stream_lease_seconds / 3):
                await stop.wait()
        except TimeoutError:
            pass
        if not stop.is_set() and not await asyncio.to_thread(_claim, holder, settings.stream_lease_seconds):
            log.error("the stream lease was lost to another process; stopping")
            run.lost_lease = True
            stop.set()


async def _refresh_matcher(sinks: list[Sink], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            async with asyncio.timeout(MATCHER_REFRESH_SECONDS):
                await stop.wait()
        except TimeoutError:
            matcher = (await asyncio.to_thread(_load, []))[1]
            for sink in sinks:
                sink.matcher = matcher


def _claim(holder: str, seconds: float) -> bool:
    with db.session_scope() as session:
        return state.claim_lease(session, holder=holder, now=utcnow(), seconds=seconds)


def _release(holder: str) -> None:
    with db.session_scope() as session:
        state.release_lease(session, holder=holder)


def _load(wanted: list[StreamSpec]) -> tuple[dict[str, tuple[int, str | None]], Matcher]:
    """Each spec's source (id, stored cursor), synced now, and the matcher of the active people."""
    warm_up()
    rows = {}
    if wanted:
        with db.session_scope() as session:
            state.sync_stream_sources(session, specs=wanted)
            rows = {url: (s.id, s.cursor) for url, s in state.stream_sources(session, specs=wanted).items()}
    with db.session_scope() as session:  # a read-only session of its own, after the sync committed
        return rows, matcher_for(session)
