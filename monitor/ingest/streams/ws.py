"""WebSocket plumbing shared by the stream consumers: address guard, connect, read loop, backoff.

Frames are capped at ``MONITOR_STREAM_MAX_FRAME_BYTES`` (websockets' ``max_size``, judged
after decompression): a bigger frame closes the connection (1009), which the consumer
counts as a skipped event before it reconnects. No proxy from the environment is used
and the only header besides the handshake's is our User-Agent.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import websockets
from websockets.asyncio.client import ClientConnection

from monitor.core.models import utcnow
from monitor.core.settings import USER_AGENT, Settings
from monitor.ingest.fetch import check_address
from monitor.ingest.streams.events import BadEvent, StreamEvent
from monitor.ingest.streams.sink import FLUSH_SECONDS, Sink

BACKOFF_BASE = 0.5
MESSAGE_TOO_BIG = 1009
OPEN_TIMEOUT = 15.0
YIELD_EVERY = 64  # frames read between two turns given to the event loop's other tasks
# What a dropped or refused connection raises; the consumer reconnects after any of them.
CONNECTION_ERRORS = (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException)


class Backoff:
    """Waits between reconnects: doubling from ``BACKOFF_BASE`` up to ``cap``, each drawn
    between half and all of that ("equal jitter"), so restarts spread out but never spin."""

    def __init__(self, cap: float, rng: Callable[[], float] = random.random):
        self.cap, self.rng, self.failures = cap, rng, 0

    def next(self) -> float:
        """The wait before the next attempt; each call counts one more failure."""
        self.failures += 1
        ceiling = min(self.cap, BACKOFF_BASE * 2 ** min(self.failures - 1, 30))
        return ceiling / 2 + self.rng() * ceiling / 2

    def reset(self) -> None:
        """A connection delivered events: the next failure starts from the base again."""
        self.failures = 0


async def guard(url: str, settings: Settings) -> None:
    """Refuse a ws(s) URL whose host is on a private network (unless allowed), like every fetch."""
    http = "https" + url[3:] if url.startswith("wss:") else "http" + url[2:]
    await asyncio.to_thread(check_address, http, allow_private=settings.allow_private_networks)


def connect(url: str, settings: Settings) -> websockets.asyncio.client.connect:
    """An ``async with`` WebSocket connection with the frame cap, timeouts and our User-Agent."""
    return websockets.connect(
        url,
        max_size=settings.stream_max_frame_bytes,
        open_timeout=OPEN_TIMEOUT,
        user_agent_header=USER_AGENT,
        proxy=None,
        ping_interval=20,
        ping_timeout=20,
        close_timeout=5,
    )


async def pump(
    ws: ClientConnection, sink: Sink, stop: asyncio.Event, parse: Callable[..., StreamEvent], backoff: Backoff
) -> None:
    """Feed frames to ``sink`` until ``stop`` or the connection ends (which raises).

    The wait for a frame is bounded by the flush period, so a quiet stream still writes
    its pending batch and notices ``stop`` in time. A frame read resets ``backoff``.
    """
    read = 0
    while not stop.is_set():
        frame = None
        try:
            async with asyncio.timeout(FLUSH_SECONDS):
                frame = await ws.recv()
        except TimeoutError:
            pass
        if frame is not None:
            backoff.failures = 0
            read += 1
            if read % YIELD_EVERY == 0:
                # recv() returns without yielding while frames are buffered: let the lease
                # renewal, keepalive pings and the stop timer run under a saturated stream.
                await asyncio.sleep(0)
            try:
                sink.add(parse(frame, now=utcnow()), frame=frame)
            except BadEvent:
                sink.skip()
        if sink.due():
            await sink.flush(wait=False)  # the write runs while frames are read on


def handshake(connection: ClientConnection) -> tuple[dict[str, str], str]:
    """The handshake's request headers as sent, and what the WebSocket layer changes in every
    message (a compression extension), for the evidence kept of a matched frame."""
    sent = dict(connection.request.headers.raw_items()) if connection.request else {}
    agreed = connection.response.headers.get("Sec-WebSocket-Extensions", "") if connection.response else ""
    return sent, ("message decompressed from permessage-deflate" if "permessage-deflate" in agreed else "")


def too_big(exc: BaseException) -> bool:
    """True when the connection was closed because a frame exceeded the cap."""
    close = getattr(exc, "rcvd", None) or getattr(exc, "sent", None)
    return getattr(close, "code", None) == MESSAGE_TOO_BIG


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less when ``stop`` is set meanwhile."""
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        pass
