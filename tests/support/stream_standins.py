"""Loopback stand-ins for the streams: a Jetstream and a Mastodon server (streaming and REST).

Each runs its own event loop in a thread, serves only what the test put in it, and logs
every request (path with query, headers) and every message a client sent, so tests can
check what left the monitor. Events are plain dicts in Jetstream's and Mastodon's formats.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from tests.support import cli, stack


@dataclass
class Request:
    path: str
    headers: dict[str, str]

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)


class _Server:
    """A websockets server on 127.0.0.1 in a thread of its own."""

    def __init__(self):
        self.requests: list[Request] = []
        self.received: list[str] = []
        self.open = self.max_open = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def start(self):
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def _main(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self):
        self._stopping = asyncio.Event()
        async with serve(self._handle, "127.0.0.1", 0, process_request=self._process_request, max_size=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stopping.wait()

    def stop(self):
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _process_request(self, connection: ServerConnection, request):
        self.requests.append(Request(request.path, dict(request.headers.raw_items())))
        return self.respond(connection, request)

    def respond(self, connection, request):
        return None

    async def _handle(self, connection: ServerConnection):
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        try:
            await self.handle(connection)
        except ConnectionClosed:
            pass  # the client went away: what the tests stop with
        finally:
            self.open -= 1

    def ws_requests(self) -> list[Request]:
        return [r for r in self.requests if r.headers.get("Upgrade", "").lower() == "websocket"]


class JetstreamStandIn(_Server):
    """Replays ``events`` from the client's ``cursor`` (time_us at or after it), then waits for more.

    ``drop_after``: the first connection is cut after that many frames (a dropped connection).
    ``raw`` frames (strings) are sent as they are, for hostile input; their place in the replay
    is the ``time_us`` given with them.
    """

    def __init__(self, drop_after: int | None = None):
        super().__init__()
        self.events: list[tuple[int, str]] = []
        self.drop_after = drop_after
        self.connections = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/subscribe"

    def add(self, event: dict) -> None:
        self.events.append((event["time_us"], json.dumps(event)))

    def add_raw(self, time_us: int, frame: str) -> None:
        self.events.append((time_us, frame))

    def cursors(self) -> list[str | None]:
        return [r.query.get("cursor", [None])[0] for r in self.ws_requests()]

    async def handle(self, connection: ServerConnection):
        self.connections += 1
        first = self.connections == 1
        cursor = int(Request(connection.request.path, {}).query.get("cursor", ["0"])[0])
        sent = index = 0
        # Until the stand-in stops: the server's shutdown waits for every handler, and one
        # waiting for events that never come held each test's teardown for ten seconds.
        while not self._stopping.is_set():
            while index < len(self.events):
                time_us, frame = self.events[index]
                index += 1
                if time_us < cursor:
                    continue
                await connection.send(frame)
                sent += 1
                if first and self.drop_after is not None and sent >= self.drop_after:
                    await asyncio.sleep(0.2)
                    connection.transport.abort()  # no close frame: a dropped connection
                    return
            await asyncio.sleep(0.05)


class MastodonStandIn(_Server):
    """``/api/v1/streaming`` (WebSocket; or HTTP 401 when ``refuse``) and the REST tag and public timelines.

    Streaming sends every status in ``statuses`` as an ``update`` on each connection
    (Mastodon has no cursor), the first connection cut after ``drop_after`` frames. The REST
    timelines answer the statuses newer than ``min_id``, newest first.
    """

    def __init__(self, *, refuse: bool = False, drop_after: int | None = None):
        super().__init__()
        self.refuse, self.drop_after = refuse, drop_after
        self.statuses: list[dict] = []
        self.frames: list[str] = []  # extra raw frames sent after the statuses (hostile input)
        self.connections = 0

    @property
    def instance(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, connection, request):
        path = urlsplit(request.path).path
        if path == "/api/v1/streaming" and self.refuse:
            return connection.respond(HTTPStatus.UNAUTHORIZED, '{"error":"This API requires an authenticated user"}\n')
        if path.startswith("/api/v1/timelines/"):
            min_id = int(parse_qs(urlsplit(request.path).query).get("min_id", ["0"])[0])
            page = sorted((s for s in self.statuses if int(s["id"]) > min_id), key=lambda s: -int(s["id"]))
            body = json.dumps(page).encode()
            headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return Response(200, "OK", headers, body)
        return None

    async def handle(self, connection: ServerConnection):
        self.connections += 1
        first = self.connections == 1
        reader = asyncio.create_task(self._read(connection))
        frames = [
            json.dumps({"stream": ["public"], "event": "update", "payload": json.dumps(s)}) for s in self.statuses
        ]
        for sent, frame in enumerate(frames + self.frames, start=1):
            await connection.send(frame)
            if first and self.drop_after is not None and sent >= self.drop_after:
                await asyncio.sleep(0.2)
                connection.transport.abort()
                return
        try:
            await reader
        finally:
            reader.cancel()

    async def _read(self, connection):
        async for message in connection:
            self.received.append(message)


def jetstream_post(time_us: int, text: str, *, did: str = "did:plc:author", rkey: str | None = None, **record) -> dict:
    """A Jetstream commit event creating an app.bsky.feed.post."""
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": f"rev{time_us}",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey or f"3k{time_us}",
            "cid": f"cid{time_us}",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": "2026-11-30T10:00:00.000Z",
                "langs": ["en"],
                **record,
            },
        },
    }


def mastodon_status(
    status_id: int, text: str, *, host: str = "social.example", user: str = "writer", boost_of: dict | None = None
) -> dict:
    """A Mastodon Status; with ``boost_of`` a boost wrapping that original."""
    uri = f"https://{host}/users/{user}/statuses/{status_id}"
    return {
        "id": str(status_id),
        "uri": uri,
        "url": f"https://{host}/@{user}/{status_id}",
        "created_at": "2026-11-30T10:00:00.000Z",
        "content": "" if boost_of else f"<p>{text}</p>",
        "spoiler_text": "",
        "language": "en",
        "visibility": "public",
        "reblog": boost_of,
        "account": {"id": "1", "username": user, "acct": user, "display_name": user},
    }


def now_us() -> int:
    return int(time.time() * 1_000_000)


PERSON = ("Vladimir Vorontsov", ["Владимир Воронцов", "Vorontsov"])


# A polled source beside the stream (never polled here): a config of streams alone is refused
# on its second sync by monitor.core.storage.config_sync (see test_a_config_of_streams_alone_restarts).
POLLED = '[[source]]\nurl = "http://127.0.0.1:9/feed.xml"\n\n'


def write_config(path: Path, stream: str, *, polled: str = POLLED) -> None:
    path.write_text(
        f'[[person]]\nname = "{PERSON[0]}"\naliases = {json.dumps(PERSON[1], ensure_ascii=False)}\n'
        f'exclude = ["Vorontsov Palace"]\n\n{polled}{stream}',
        encoding="utf-8",
    )


def stream_until(done, what: str, *, timeout: float = 60) -> subprocess.CompletedProcess:
    """``monitor stream`` (the settings fixture's environment) until ``done()`` holds, then
    SIGTERM, as a service manager stops it: it writes what it has read and exits. As long as
    the work takes and no longer, where a fixed ``--seconds`` was too short on a busy machine."""
    process = cli.start("stream")
    try:
        stack.wait_for(done, timeout=timeout, interval=0.1, what=what)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
    return process.output()


def run_stream(seconds: float, *, env: dict | None = None) -> subprocess.CompletedProcess:
    """``monitor stream --seconds N`` as its own process (the settings fixture's environment)."""
    return cli.monitor("stream", "--seconds", str(seconds), timeout=seconds + 60, env={**os.environ, **(env or {})})
