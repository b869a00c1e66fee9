"""A loopback HTTP server for tests: serves the feeds a test wrote, records each request.

Routes map a path to a ``Route`` (status, body, headers). A route with an ``etag``
answers ``304 Not Modified`` to a matching ``If-None-Match``, as real servers do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)


class FeedServer:
    """Start with ``with FeedServer() as server:``; ``server.url('/feed.xml')`` is its address."""

    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: list[Hit] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                route = server.routes.get(self.path)
                status, body, headers = server._answer(route, self.headers)
                server.hits.append(Hit(self.path, dict(self.headers), status))
                respond(self, status, body, headers)

            def log_message(self, *args):
                pass

        return Handler

    def _answer(self, route: Route | None, request_headers) -> tuple[int, bytes, dict[str, str]]:
        if route is None:
            return 404, b"not found", {"Content-Type": "text/plain"}
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
            if request_headers.get("If-None-Match") == route.etag:
                return 304, b"", headers
        body = route.body.encode() if isinstance(route.body, str) else route.body
        return route.status, body, headers


def respond(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    """Write one whole response (status, headers, Content-Length, body): every loopback server's last step."""
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
