"""Match, dedupe and store one stream's events: the same matcher and write path as polling.

A ``Sink`` keeps what its stream consumed since the last write (matched posts, counts, the
newest cursor) and writes it in one transaction every ``FLUSH_EVENTS`` events or
``FLUSH_SECONDS``, whichever comes first. A crash loses at most that much progress, never
data: the stored cursor is at most one batch behind, the replayed events are already
stored under their unique keys, so nothing is stored twice.

The message (or fallback response) that yielded each matched post travels with the batch
and is kept as evidence in the same transaction (``monitor.core.storage.received``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from monitor.core import db
from monitor.core.models import utcnow
from monitor.core.storage import NewMention
from monitor.core.storage import streams as state
from monitor.core.storage.received import Received
from monitor.ingest.new_mention import new_mention as mention_of
from monitor.ingest.streams.events import StreamEvent
from monitor.matching import Matcher
from monitor.sources.base import Item, one_line

log = logging.getLogger(__name__)
FLUSH_EVENTS = 1000
FLUSH_SECONDS = 1.0
WRITE_ATTEMPTS = 8  # about a minute in all: a database restart must not end the stream process
WRITE_RETRY_CAP = 15.0


class Sink:
    """One stream's pending batch and its writes (``flush``); ``matcher`` may be replaced at any time."""

    def __init__(self, source_id: int, matcher: Matcher, *, cursor: str | None = None):
        self.source_id, self.matcher, self.cursor = source_id, matcher, cursor
        self._time_us = int(cursor) if cursor and cursor.isdigit() else 0
        self.stored = self.events = self.skipped = 0  # totals, for the command's summary
        self._writing: asyncio.Task | None = None
        self._endpoint: tuple[str, str, dict[str, str], str] | None = None  # see ``connected``
        self._reset()

    def _reset(self) -> None:
        self._mentions: list[NewMention] = []
        self._reposts: list[tuple[str, str | None]] = []
        self._received: list[Received] = []
        self._events = self._skipped = 0
        self._last_at: datetime | None = None
        self._cursor_moved = False
        self._since = time.monotonic()

    def connected(self, url: str, adapter: str, request_headers: dict[str, str], transform: str = "") -> None:
        """Where the next frames come from: the stream's URL, the adapter, the handshake's headers
        and what the WebSocket layer changed (for the evidence kept of a matched frame)."""
        self._endpoint = (url, adapter, request_headers, transform)

    def add(self, event: StreamEvent, *, frame: str | bytes | None = None, origin: Received | None = None) -> None:
        """Count the event, move the cursor, keep its post if it names a tracked person, and what
        carried it: the ``frame`` (from the endpoint of ``connected``), or ``origin`` (a response)."""
        self._events += 1
        if event.time_us is not None and event.time_us > self._time_us:
            self._time_us, self._cursor_moved = event.time_us, True
        if self._last_at is None or event.at > self._last_at:
            self._last_at = event.at
        if event.item is not None:
            people = self.people_in(event.item)
            if people:
                mention = mention_of(event.item, people)
                self._mentions.append(mention)
                self._keep(mention, frame, origin)
        elif event.repost_of:
            self._reposts.append((event.repost_of, event.reposter))

    def _keep(self, mention: NewMention, frame: str | bytes | None, origin: Received | None) -> None:
        if origin is not None:
            if not origin.mentions:
                self._received.append(origin)
            origin.mentions.append(mention)
        elif frame is not None and self._endpoint is not None:
            url, adapter, headers, transform = self._endpoint
            body = frame.encode("utf-8") if isinstance(frame, str) else bytes(frame)  # a text frame's exact bytes
            self._received.append(
                Received(
                    "stream",
                    adapter,
                    url,
                    body,
                    utcnow(),
                    request_headers=headers,
                    transform=transform,
                    mentions=[mention],
                )
            )

    def people_in(self, item: Item) -> dict[str, str]:
        """Person name → first alias matched, as the poller matches (title and text)."""
        people: dict[str, str] = {}
        for match in self.matcher.find(f"{item.title}\n{item.text}" if item.title else item.text):
            people.setdefault(match.person, match.alias)
        return people

    def skip(self) -> None:
        """Count a frame that was not a valid event."""
        self._skipped += 1

    def add_cursor_step(self) -> None:
        """Move a Jetstream cursor one microsecond on (past an event that could not be read)."""
        if self._time_us:
            self._time_us, self._cursor_moved = self._time_us + 1, True

    def set_cursor(self, cursor: str) -> None:
        """A cursor that is not a Jetstream time (the Mastodon fallback's per-timeline ids)."""
        self.cursor, self._cursor_moved = cursor, True

    def due(self) -> bool:
        """True when the pending batch should be written now (and no write is still running)."""
        pending = self._events or self._skipped or self._cursor_moved
        idle = self._writing is None or self._writing.done()
        return (
            bool(pending) and idle and (self._events >= FLUSH_EVENTS or time.monotonic() - self._since >= FLUSH_SECONDS)
        )

    async def flush(self, *, wait: bool = True) -> None:
        """Write the pending batch, one write at a time, in a thread (retried while the database is away).

        ``wait=False`` (the reader's periodic flush) leaves the write running and goes back to
        reading frames; ``wait=True`` returns once everything consumed so far is stored.
        """
        if self._writing is not None:
            if not self._writing.done() and not wait:
                return
            await self._writing  # a write that failed for good raises here
            self._writing = None
        batch = self._take()
        if batch is not None:
            self._writing = asyncio.create_task(self._write(batch))
            if wait:
                await self._writing
                self._writing = None

    def _take(self) -> state.Batch | None:
        if not (self._events or self._skipped or self._cursor_moved):
            return None
        if self._time_us:
            self.cursor = str(self._time_us)
        batch = state.Batch(
            self.source_id,
            self._mentions,
            self._events,
            self._skipped,
            self.cursor,
            self._last_at,
            self._reposts,
            self._received,
        )
        self.events, self.skipped = self.events + self._events, self.skipped + self._skipped
        self._reset()
        return batch

    async def _write(self, batch: state.Batch) -> None:
        new = await asyncio.to_thread(_write, batch)
        self.stored += new
        if new:
            # Spikes are not recomputed here: the beat's refresh (every MONITOR_SPIKE_REFRESH_SECONDS)
            # counts these mentions like polled ones, on a worker, not on the stream's core.
            log.info("stream stored new mentions", extra={"source_id": self.source_id, "new": new})

    async def note(self, *, error: str | None = None, mode: str | None = None, why: str | None = None) -> None:
        """Record a connection error, or the stream's mode (stream or polling) and why."""
        await asyncio.to_thread(_note, self.source_id, error, mode, why)


def warm_up() -> None:
    """Load what the first matched post would load (the language model, MinHash), before
    the stream connects: a cold start must not stall the reader for seconds."""
    mention_of(Item("warm-up", None, "", "Суд продлил арест. The court extended the arrest."), {})


def _write(batch: state.Batch) -> int:
    """Store a batch, retried while the database is away; how many mentions were new.

    A batch the database refuses for another reason (a row it cannot take) is stored post by
    post instead, the refused ones counted as skipped: one hostile post must not stop the
    stream, nor make every restart replay into the same refusal.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return _save(batch)
        except sa.exc.OperationalError as exc:
            if attempt == WRITE_ATTEMPTS:
                raise
            log.warning(
                "writing a stream batch failed, retrying: %s", one_line(exc), extra={"source_id": batch.source_id}
            )
            time.sleep(min(WRITE_RETRY_CAP, 0.5 * 2 ** (attempt - 1)))
        except sa.exc.SQLAlchemyError as exc:
            return _save_one_by_one(batch, exc)
    return 0


def _save(batch: state.Batch) -> int:
    with db.session_scope() as session:
        return state.save_batch(session, batch=batch, now=utcnow())


def _save_one_by_one(batch: state.Batch, error: Exception) -> int:
    log.error(
        "the database refused a stream batch (%s); storing it post by post",
        type(error).__name__,
        extra={"source_id": batch.source_id},
    )
    new = refused = 0
    for mention in batch.mentions:
        try:
            received = [r for r in batch.received if any(m is mention for m in r.mentions)]
            new += _save(
                replace(
                    batch,
                    mentions=[mention],
                    events=0,
                    skipped=0,
                    cursor=None,
                    last_event_at=None,
                    reposts=[],
                    received=received,
                )
            )
        except sa.exc.OperationalError:
            raise
        except sa.exc.SQLAlchemyError as exc:
            refused += 1
            log.error(
                "the database refused a stream post (%s); skipped",
                type(exc).__name__,
                extra={"source_id": batch.source_id},
            )
    return new + _save(replace(batch, mentions=[], skipped=batch.skipped + refused, received=[]))


def _note(source_id: int, error: str | None, mode: str | None, why: str | None) -> None:
    with db.session_scope() as session:
        if error:
            state.record_error(session, source_id=source_id, message=error, now=utcnow())
        if mode:
            state.set_mode(session, source_id=source_id, mode=mode, note=why, now=utcnow())
