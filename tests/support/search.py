"""Helpers for the search-provider tests: one loopback server standing in for every provider,
answering each path with what the test wrote, in the provider's documented format, and
logging every request line (decoded) so a test can say a name was never sent."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.storage.config_sync import sync_config
from tests.support.feedserver import respond

PEOPLE = [
    {"name": "Vladimir Vorontsov", "aliases": ["Владимир Воронцов"], "hashtags": ["#FreeVorontsov"]},
    {"name": "Zoya Sekretova", "aliases": ["Зоя Секретова"], "hashtags": ["#FreeSekretova"], "private": True},
]


@dataclass
class Seen:
    """One request: method, path, decoded query (every value), headers, body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    line: str  # the request line as sent, percent-decoded: what a provider's log would hold
    body: bytes = b""


class ProviderServer:
    """``routes`` maps a path to ``fn(seen) -> (status, body)``, a JSON-able value (200), or bytes."""

    def __init__(self, routes: dict | None = None):
        self.routes: dict = dict(routes or {})
        self.seen: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def log_text(self) -> str:
        """Everything the server was sent, as one text: request lines, headers and bodies, decoded."""
        return "\n".join(
            f"{s.line}\n{json.dumps(s.headers, ensure_ascii=False)}\n{s.body.decode('utf-8', 'replace')}"
            for s in self.seen
        )

    def _answer(self, seen: Seen) -> tuple[int, bytes, str]:
        route = self.routes.get(seen.path)
        if route is None:
            return 404, b"not found", "text/plain"
        answer = route(seen) if callable(route) else route
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        if isinstance(body, (bytes, str)):
            return status, body.encode() if isinstance(body, str) else body, "text/html; charset=utf-8"
        return status, json.dumps(body, ensure_ascii=False).encode(), "application/json"

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(
                    method, parts.path, parse_qs(parts.query), dict(self.headers), unquote_plus(self.path), body
                )
                server.seen.append(seen)
                status, payload, kind = server._answer(seen)
                respond(self, status, payload, {"Content-Type": kind})

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def log_message(self, *args):
                pass

        return Handler


def write_config(path: Path, search: str, people: list[dict] = PEOPLE) -> Path:
    """A config of ``people`` (TOML written by hand: the tests need no writer) and the ``search`` tables."""
    lines = []
    for person in people:
        lines.append("[[person]]")
        for key, value in person.items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    lines.append('[[source]]\nurl = "https://config.example/feed.xml"\n')
    path.write_text("\n".join(lines) + "\n" + search, encoding="utf-8")
    return path


def sync(path: Path):
    """Validate and sync the config into the database, as every command does; the watchlist."""
    watchlist = load_watchlist(path)
    db.upgrade()
    with db.session_scope() as session:
        sync_config(session, watchlist=watchlist, allow_empty=False)
    return watchlist


def rows(model, *where):
    with db.session_scope() as session:
        found = list(session.exec(select(model).where(*where)))
        session.expunge_all()
        return found


PASSWORD = "a long enough password"


def csrf_from(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def signed_in(client, email: str, role: str):
    """``client`` signed in as a new user of ``role``."""
    from monitor.review.users import add_user

    add_user(email=email, role=role, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


def post(client, path: str, page: str, **form):
    form["csrf_token"] = csrf_from(client.get(page).text)
    return client.post(path, data=form, follow_redirects=False)
