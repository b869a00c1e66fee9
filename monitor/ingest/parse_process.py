"""Parsing and matching in a child process, beside the fetches and the writer (issue 15).

One process polls on one core: its event loop fetches, a thread writes, and parsing and
matching (about half the CPU of a first poll) wait their turn for the same interpreter lock.
``ParseProcess`` hands each changed body to one child process instead, which parses it,
matches it (``monitor.ingest.findings.summarise``) and sends the ``Findings`` back.

- Only where a process may have children: ``monitor poll --once`` asks for it; a Celery
  prefork worker is daemonic and cannot, and polls in-process (``allowed``).
- "spawn", not "fork": the parent has threads and an open database engine by then. The
  child loads the watch list's matcher itself, from the database's cache, on its first body.
- The bodies waiting for the child hold at most ``WAITING_BYTES`` (one larger body waits
  alone), so the fetches go on while the child starts, without bodies piling up unbounded.
- A child that dies, or takes ``PARSE_TIMEOUT`` seconds with no answer once it has loaded the
  matcher (it is killed then; start-up and the matcher may take longer), costs
  only the body it was reading (the child says which, in shared memory): that source
  records ``ChildFailed``, the other bodies it held go to a new child.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import multiprocessing
import time
from concurrent.futures.process import BrokenProcessPool

from monitor import sources
from monitor.ingest.findings import Findings, MatcherFailed, summarise

PARSE_TIMEOUT = 120.0  # seconds a child may go without answering while it holds work
ATTEMPTS = 2  # a body a child broke without reading it (another one did) is sent again, once
WAITING_BYTES = 64 * 1024 * 1024


class ChildFailed(Exception):
    """The parsing process died or hung while reading this source's body."""


def allowed() -> bool:
    """Whether this process may start one (a daemonic process, as Celery's prefork workers are, may not)."""
    return not multiprocessing.current_process().daemon


class ParseProcess:
    """One child process that parses and matches bodies; started on the first, replaced when it breaks."""

    def __init__(self, database_url: str, *, timeout: float | None = None):
        self._database_url = database_url
        self._timeout = timeout or PARSE_TIMEOUT
        self._child: _Child | None = None
        self._tickets = itertools.count()
        self._held: set[int] = set()  # tickets of bodies sent and not answered yet
        self._answered = time.monotonic()
        self._watchdog: asyncio.Task | None = None
        self._budget = _Budget(WAITING_BYTES)

    async def read(
        self, adapter: sources.Adapter, body: bytes, headers: dict[str, str], url: str, kind: str
    ) -> Findings:
        """The body's ``Findings`` from the child; ``ChildFailed`` when reading it broke the child."""
        attempts = itertools.count(1)
        async with self._budget.hold(len(body)):
            while True:
                child, ticket = self._running(), next(self._tickets)
                try:
                    return await self._answer(child, ticket, adapter, body, headers, url, kind)
                except BrokenProcessPool:
                    if self._child is child:
                        self._child = None  # the next body starts a new one
                    if child.reading.value == ticket or next(attempts) == ATTEMPTS:
                        raise ChildFailed(
                            "the parsing process ended while reading this source; retried with backoff"
                        ) from None

    async def _answer(self, child: _Child, ticket: int, *args) -> Findings:
        if not self._held:
            self._answered = time.monotonic()
        self._held.add(ticket)
        try:
            return await asyncio.wrap_future(child.pool.submit(_read_in_child, self._database_url, ticket, *args))
        finally:
            self._held.discard(ticket)
            self._answered = time.monotonic()

    def start(self) -> None:
        """Start the child now, so that its imports overlap the caller's own work (``monitor poll
        --once``: the config sync); it loads the matcher only when the first body comes."""
        if self._child is None:
            self._child = _Child()

    def abandon(self) -> None:
        """Stop a child no body was sent to (the command failed before polling)."""
        child, self._child = self._child, None
        if child is not None:
            child.pool.shutdown(wait=False, cancel_futures=True)
            child.kill()

    def _running(self) -> _Child:
        if self._child is None:
            self._child = _Child()
        self._child.load(self._database_url, self._heard)
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch())
        return self._child

    def _heard(self, _future) -> None:
        self._answered = time.monotonic()

    async def _watch(self) -> None:
        """Kill a ready child that has held work for ``timeout`` seconds without an answer."""
        while True:
            await asyncio.sleep(min(5.0, self._timeout / 4))
            child = self._child
            if (
                child is not None
                and child.ready is not None
                and child.ready.done()
                and self._held
                and time.monotonic() - self._answered > self._timeout
            ):
                child.kill()  # its pool breaks; read() blames the body it was reading
                self._answered = time.monotonic()

    async def close(self) -> None:
        """Stop the watchdog and the child (it is idle by now: every body was answered). Not
        waited for: it frees a whole watch list on its way out while the caller refreshes
        spikes; the interpreter joins it at exit."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        child, self._child = self._child, None
        if child is not None:
            child.pool.shutdown(wait=False, cancel_futures=True)


class _Child:
    """A pool of one spawned process: it loads the matcher (``ready``), then reads bodies, saying in
    shared memory which one it is reading."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self.reading = context.RawValue("q", -1)  # the ticket of the body in hand, -1 between bodies
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=context, initializer=_start_child, initargs=(self.reading,)
        )
        before = set(multiprocessing.active_children())
        self.pool.submit(_warm)  # the process starts now (a pool of one never starts another)
        self.processes = [p for p in multiprocessing.active_children() if p not in before]
        self.ready: concurrent.futures.Future | None = None

    def load(self, database_url: str, on_ready) -> None:
        """Have it load the matcher next (once)."""
        if self.ready is None:
            self.ready = self.pool.submit(_child_matcher, database_url, loaded=True)
            self.ready.add_done_callback(on_ready)

    def kill(self) -> None:
        for process in self.processes:
            process.kill()


class _Budget:
    """Bytes in use, at most ``limit`` of them; a request larger than that waits until it is alone."""

    def __init__(self, limit: int):
        self._limit, self._used = limit, 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def hold(self, size: int):
        async with self._changed:
            await self._changed.wait_for(lambda: self._used == 0 or self._used + size <= self._limit)
            self._used += size
        try:
            yield
        finally:
            async with self._changed:
                self._used -= size
                self._changed.notify_all()


_matcher = None  # in the child: the watch list's matcher, loaded first
_reading = None  # in the child: where it says which body it is reading


def _start_child(reading) -> None:
    global _reading
    _reading = reading


def _warm() -> None:
    """What every body needs besides the matcher: the storage layer's imports and the language model."""
    from monitor.core.storage import matcher_cache  # noqa: F401 - imported for its cost, before the first body
    from monitor.ingest import language

    language.warm()


def _read_in_child(
    database_url: str, ticket: int, adapter: sources.Adapter, body: bytes, headers, url, kind
) -> Findings:
    _reading.value = ticket
    try:
        parsed = adapter.parse(body, headers, url)
        return summarise(parsed, body, kind=kind, adapter_kind=adapter.kind, matcher=_child_matcher(database_url))
    finally:
        _reading.value = -1


def _child_matcher(database_url: str, *, loaded: bool = False):
    """The watch list's matcher, loaded once; ``loaded``: only load it (the first thing a child does)."""
    global _matcher
    if _matcher is None:
        from monitor.core import db
        from monitor.core.storage.matcher_cache import matcher_for
        from monitor.ingest import language

        try:
            language.warm()
            with db.session_scope(database_url) as session:
                _matcher = matcher_for(session)
        except Exception as exc:  # noqa: BLE001 - sent back by type only, as the in-process load says it
            raise MatcherFailed(f"loading the watch list failed: {type(exc).__name__}") from None
    return None if loaded else _matcher
