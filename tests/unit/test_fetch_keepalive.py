"""A conditional poll keeps its connection: a 304 is read to its end, so the next request to
the host reuses the connection instead of opening (on a real site: handshaking) a new one."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.core.settings import Settings
from monitor.ingest.fetch import HostClients, fetch_async
from tests.fixtures import feeds

ETAG = '"v1"'


@pytest.fixture
def keepalive_server():
    """An HTTP/1.1 server that counts the connections it accepted; /feed.xml has an ETag."""
    connections = []
    body = feeds.rss("http://127.0.0.1/").encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            connections.append(self.client_address)

        def do_GET(self):  # noqa: N802
            fresh = self.headers.get("If-None-Match") == ETAG
            self.send_response(304 if fresh else 200)
            self.send_header("ETag", ETAG)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", "0" if fresh else str(len(body)))
            self.end_headers()
            if not fresh:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml", connections
    server.shutdown()
    server.server_close()


def test_not_modified_answers_leave_the_connection_for_the_next_request(keepalive_server):
    url, connections = keepalive_server
    settings = Settings(allow_private_networks=True)

    async def poll_five_times():
        async with HostClients(settings, per_host=1) as clients:
            first = await fetch_async(clients, url, settings=settings)
            again = [await fetch_async(clients, url, settings=settings, etag=first.headers["etag"]) for _ in range(4)]
        return first, again

    first, again = asyncio.run(poll_five_times())
    assert first.status == 200 and first.body
    assert [r.status for r in again] == [304] * 4 and all(r.body == b"" for r in again)
    assert len(connections) == 1
