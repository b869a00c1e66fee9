"""Helpers for the source-adapter tests: fixture files and one real poll over loopback HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.settings import get_settings
from monitor.ingest.fetch import fetch
from monitor.sources import Parsed, resolve_adapter

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


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
