"""Helpers for the source-adapter tests: fixture files and one real poll over loopback HTTP."""

from __future__ import annotations

from pathlib import Path

from monitor.fetch import fetch
from monitor.sources import Parsed, resolve_adapter

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def poll(server, path: str, kind: str = "auto", *, cursor: str | None = None, settings=None) -> tuple[Parsed, str]:
    """What the poller does for one source: resolve, build the request, GET it, parse. Returns (parsed, URL asked)."""
    url = server.url(path)
    adapter = resolve_adapter(kind, url)
    request = adapter.request(url, cursor, settings)
    response = fetch(request.url, headers=request.headers)
    return adapter.parse(response.body, response.headers, response.url), request.url
