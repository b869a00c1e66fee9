"""Helpers for the source-adapter tests: fixture files and one real poll over loopback HTTP."""

from __future__ import annotations

import pytest

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.settings import get_settings
from monitor.core.storage import sync_watchlist
from monitor.ingest.fetch import fetch
from monitor.sources import Parsed, resolve_adapter
from tests.support import paths

FIXTURES = paths.FIXTURES / "sources"


@pytest.fixture(autouse=True)
def loopback(monkeypatch):
    """Source tests fetch from loopback servers: allow private addresses for the test."""
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def poll(server, path: str, kind: str = "auto", *, cursor: str | None = None, settings=None) -> tuple[Parsed, str]:
    """What the poller does for one source: resolve, build the request, GET it, parse. Returns (parsed, URL asked)."""
    url = server.url(path)
    adapter = resolve_adapter(kind, url)
    request = adapter.request(url, cursor, settings)
    response = fetch(request.url, headers=request.headers)
    return adapter.parse(response.body, response.headers, response.url), request.url


def _sync(settings, text: str) -> None:
    settings.config.write_text(text, encoding="utf-8")
    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(settings.config))
