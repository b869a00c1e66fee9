"""Hostile feeds end as a recorded error on their source, in bounded time and memory.

The poll runs in a subprocess under an address-space cap (``resource.setrlimit``), so a
regression that buffers a gzip bomb or an endless body fails the test instead of
exhausting the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Mention, Source
from monitor.ingest.fetch import FetchError, check_address, parse_retry_after
from tests.fixtures import feeds

MEMORY_CAP = 1024 * 1024 * 1024
BOMB_SIZE = 2 * 1024 * 1024 * 1024


def _gzip_bomb(size: int = BOMB_SIZE) -> bytes:
    """A valid gzip stream of ``size`` zero bytes, built without compressing them all.

    After a full flush the compressor starts afresh, so every further block of zeros compresses
    to the same bytes: compress three blocks, repeat the third, and write the trailer (CRC-32 and
    length of the whole) ourselves. About 1 s instead of 10 s for 2 GB.
    """
    block = b"\0" * (16 * 1024 * 1024)
    count = size // len(block)
    assert count >= 3 and size % len(block) == 0
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    first, second, third = (packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH) for _ in range(3))
    assert second == third, "zlib no longer compresses a flushed block of zeros the same way twice"
    ending = packer.flush()[:-8]  # the last (empty) block; its trailer counted only three blocks
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    trailer = crc.to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little")
    return first + second * (count - 1) + ending + trailer


@pytest.fixture(scope="module")
def hostile_server():
    bomb = _gzip_bomb()
    cp1251 = feeds.rss("http://x.invalid").replace('encoding="utf-8"', 'encoding="utf-8"').encode("cp1251", "replace")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            route = getattr(self, "route_" + self.path.strip("/").replace("-", "_"), None)
            if route is None:
                self.send_error(404)
                return
            route()

        def route_bomb(self):
            self._send(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})

        def route_endless(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<item><title>Vorontsov</title></item>" * 1000
            try:
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass

        def route_trickle(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b"1\r\n \r\n")
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def route_loop_a(self):
            self._send(302, b"", {"Location": "/loop-b"})

        def route_loop_b(self):
            self._send(302, b"", {"Location": "/loop-a"})

        def route_cp1251(self):
            self._send(200, cp1251, {"Content-Type": "application/rss+xml; charset=windows-1251"})

        def route_good(self):
            self._send(200, feeds.rss("http://good.invalid").encode(), {"Content-Type": "application/rss+xml"})

        def _send(self, status, body, headers):
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_bomb_is_a_valid_gzip_stream_of_zeros():
    size = 5 * 16 * 1024 * 1024
    unpacker = zlib.decompressobj(31)
    body = unpacker.decompress(_gzip_bomb(size)) + unpacker.flush()
    assert unpacker.eof and not unpacker.unused_data  # the trailer's CRC and length were checked
    assert len(body) == size and body.count(0) == size


def _capped():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def test_hostile_feeds_fail_alone_in_bounded_time_and_memory(settings, hostile_server, tmp_path):
    paths = ["/bomb", "/endless", "/trickle", "/loop-a", "/cp1251", "/good"]
    settings.config.write_text(feeds.config([hostile_server + p for p in paths]), encoding="utf-8")
    env = {**os.environ, "MONITOR_FETCH_MAX_BYTES": str(2 * 1024 * 1024), "MONITOR_FETCH_TIMEOUT": "2"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "poll", "--once"],
        env=env,
        preexec_fn=_capped,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 60
    errors = _errors_by_path(hostile_server)
    assert "body too large" in errors["/bomb"]
    assert "body too large" in errors["/endless"]
    assert "too slow" in errors["/trickle"] or "timed out" in errors["/trickle"]
    assert "redirect loop" in errors["/loop-a"]
    assert errors["/cp1251"] is None and errors["/good"] is None
    with db.session_scope() as session:
        titles = set(session.exec(select(Mention.title)))
    assert "Владимир Воронцов: приговор" in titles, "the header's charset must win over the prolog"


def _errors_by_path(base: str) -> dict[str, str | None]:
    with db.session_scope() as session:
        return {s.url.removeprefix(base): s.last_error for s in session.exec(select(Source))}


def test_private_addresses_are_refused_unless_allowed():
    with pytest.raises(FetchError, match="non-public address 127.0.0.1"):
        check_address("http://127.0.0.1:8080/feed", allow_private=False)
    with pytest.raises(FetchError, match="not an http"):
        check_address("file:///etc/passwd", allow_private=True)
    check_address("http://127.0.0.1:8080/feed", allow_private=True)


def test_retry_after_is_read_in_both_forms():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now=now) == 120
    assert parse_retry_after("Mon, 23 Nov 2026 12:05:00 GMT", now=now) == 300
    assert parse_retry_after("soon", now=now) is None


def test_the_client_sends_our_user_agent_and_the_adapters_headers(settings):
    from monitor.ingest.fetch import fetch
    from tests.support.feedserver import FeedServer, Route

    with FeedServer({"/f": Route("x")}) as server:
        result = fetch(server.url("/f"), headers={"Authorization": "Bearer t"}, etag='"e1"')
        sent = server.hits[0].headers
    assert result.status == 200 and result.body == b"x"
    assert sent["User-Agent"].startswith("monitor/")
    assert sent["Authorization"] == "Bearer t" and sent["If-None-Match"] == '"e1"'
