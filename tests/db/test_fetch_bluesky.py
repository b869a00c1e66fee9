"""Bluesky credentials: the login and its token stay with the configured service.

Two loopback origins: the service (``127.0.0.1``: createSession, refreshSession,
searchPosts) and a foreign host (``127.0.0.2``). The poller runs for real against a real
database; the servers record every request and its headers.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Mention, Source
from monitor.core.settings import get_settings
from monitor.core.storage import sync_watchlist
from monitor.entry.polling import poll_all_once
from monitor.sources import bluesky_login
from tests.fixtures import feeds
from tests.support import paths
from tests.support.feedserver import respond

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
POSTS = paths.FIXTURES / "sources" / "bluesky_search.json"


class Atproto:
    """A loopback atproto service: issues tokens, expires them on demand, answers searches."""

    def __init__(self, host: str):
        self.hits: list[tuple[str, str, dict, bytes]] = []  # method, path, headers, body
        self.valid: set[str] = set()
        self.issued = 0
        self.redirect_search_to: str | None = None
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service.hits.append(("POST", self.path, dict(self.headers), body))
                self._answer(*service.post(self.path, self.headers, body))

            def do_GET(self):
                service.hits.append(("GET", self.path, dict(self.headers), b""))
                self._answer(*service.get(self.path, self.headers))

            def _answer(self, status: int, document, headers=None):
                body = json.dumps(document).encode() if not isinstance(document, bytes) else document
                respond(self, status, body, {"Content-Type": "application/json", **(headers or {})})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _issue(self) -> dict:
        self.issued += 1
        access, refresh = f"access-{self.issued}", f"refresh-{self.issued}"
        self.valid |= {access, refresh}
        return {"accessJwt": access, "refreshJwt": refresh, "did": "did:plc:desk"}

    def post(self, path: str, headers, body: bytes):
        if path == "/xrpc/com.atproto.server.createSession":
            sent = json.loads(body)
            if sent == {"identifier": "desk.example", "password": "app-pass"}:
                return 200, self._issue()
            return 401, {"error": "AuthenticationRequired"}
        if path == "/xrpc/com.atproto.server.refreshSession":
            token = (headers.get("Authorization") or "").removeprefix("Bearer ")
            return (
                (200, self._issue())
                if token.startswith("refresh-") and token in self.valid
                else (400, {"error": "ExpiredToken"})
            )
        return 404, {"error": "NotFound"}

    def get(self, path: str, headers):
        if urlsplit(path).path != SEARCH:
            return 404, {"error": "NotFound"}
        if self.redirect_search_to:
            return 302, b"", {"Location": self.redirect_search_to + path}
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        if not token.startswith("access-") or token not in self.valid:
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}
        return 200, POSTS.read_bytes()

    def expire_all(self) -> None:
        self.valid = {t for t in self.valid if t.startswith("refresh-")}

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str, path: str) -> list[dict]:
        return [h for m, p, h, _ in self.hits if m == method and urlsplit(p).path == path]


@pytest.fixture
def two_origins(settings, monkeypatch):
    """The service on 127.0.0.1 (configured as MONITOR_BLUESKY_SERVICE) and a foreign host on 127.0.0.2."""
    service, foreign = Atproto("127.0.0.1"), Atproto("127.0.0.2")
    monkeypatch.setenv("MONITOR_BLUESKY_SERVICE", service.base)
    monkeypatch.setenv("MONITOR_BLUESKY_HANDLE", "desk.example")
    monkeypatch.setenv("MONITOR_BLUESKY_APP_PASSWORD", "app-pass")
    get_settings.cache_clear()
    monkeypatch.setattr(bluesky_login, "_sessions", {})
    yield service, foreign
    service.close()
    foreign.close()


def _sources(settings, *urls: str) -> None:
    body = feeds.CONFIG_PEOPLE + "".join(f'\n[[source]]\nurl = "{u}"\nkind = "bluesky"\n' for u in urls)
    settings.config.write_text(body, encoding="utf-8")
    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(settings.config))


def _errors() -> dict[str, str | None]:
    with db.session_scope() as session:
        return {s.url: s.last_error for s in session.exec(select(Source))}


def test_a_search_logs_in_through_the_poller_and_sends_the_token_to_the_service(settings, two_origins):
    service, _ = two_origins
    _sources(settings, service.base + SEARCH + "?q=Vorontsov")
    (result,) = poll_all_once()
    assert result.error is None and result.fetched == 2
    (login,) = service.calls("POST", "/xrpc/com.atproto.server.createSession")
    (search,) = service.calls("GET", SEARCH)
    assert "Authorization" not in login and search["Authorization"] == "Bearer access-1"
    with db.session_scope() as session:
        assert session.exec(select(Mention)).all(), "the matching post is stored"


def test_many_searches_in_one_batch_share_one_login(settings, two_origins):
    service, _ = two_origins
    _sources(settings, *(service.base + SEARCH + f"?q=Vorontsov&n={i}" for i in range(5)))
    assert all(r.error is None for r in poll_all_once())
    assert len(service.calls("POST", "/xrpc/com.atproto.server.createSession")) == 1
    assert {h["Authorization"] for h in service.calls("GET", SEARCH)} == {"Bearer access-1"}


def test_the_token_is_never_sent_to_a_search_url_on_another_host(settings, two_origins):
    service, foreign = two_origins
    url = foreign.base + SEARCH + "?q=Vorontsov"
    _sources(settings, url)
    (result,) = poll_all_once()
    assert "only to the configured service" in result.error and "only to the configured service" in _errors()[url]
    assert foreign.hits == [] and service.hits == [], "no login, no request: the token went nowhere"


def test_a_redirect_from_the_service_to_another_origin_drops_the_token(settings, two_origins):
    service, foreign = two_origins
    service.redirect_search_to = foreign.base
    _sources(settings, service.base + SEARCH + "?q=Vorontsov")
    poll_all_once()
    assert service.calls("GET", SEARCH)[0]["Authorization"] == "Bearer access-1"
    assert foreign.calls("GET", SEARCH), "the redirect was followed"
    assert all("Authorization" not in headers for _, _, headers, _ in foreign.hits)


def test_an_expired_token_is_refreshed_and_the_search_retried(settings, two_origins):
    service, _ = two_origins
    _sources(settings, service.base + SEARCH + "?q=Vorontsov")
    assert poll_all_once()[0].error is None
    service.expire_all()  # the access token lapses between two polls
    with db.session_scope() as session:
        session.exec(select(Source)).one().body_hash = None
    (again,) = poll_all_once()
    assert again.error is None, again.error
    (refresh,) = service.calls("POST", "/xrpc/com.atproto.server.refreshSession")
    assert refresh["Authorization"] == "Bearer refresh-1"
    assert [h["Authorization"] for h in service.calls("GET", SEARCH)] == [
        "Bearer access-1",
        "Bearer access-1",
        "Bearer access-2",
    ]
    assert len(service.calls("POST", "/xrpc/com.atproto.server.createSession")) == 1, "refreshed, not logged in again"


def test_the_login_passes_the_address_guard_like_every_request(settings, two_origins, monkeypatch):
    service, _ = two_origins
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "false")
    get_settings.cache_clear()
    _sources(settings, service.base + SEARCH + "?q=Vorontsov")
    (result,) = poll_all_once()
    assert "Bluesky login" in result.error and "non-public address 127.0.0.1" in result.error
    assert service.hits == [], "the guard refused the login before any connection"


def test_a_wrong_app_password_is_a_one_line_error(settings, two_origins, monkeypatch):
    service, _ = two_origins
    monkeypatch.setenv("MONITOR_BLUESKY_APP_PASSWORD", "wrong")
    get_settings.cache_clear()
    _sources(settings, service.base + SEARCH + "?q=Vorontsov")
    (result,) = poll_all_once()
    assert "check the app password" in result.error and "\n" not in result.error and "wrong" not in result.error
