"""Screenshot and PDF of a preserved mention's page through headless Chromium (a real browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.core.blobs import blob_path
from monitor.core.models import utcnow
from monitor.core.models_evidence import Capture
from monitor.entry.polling import poll_all_once
from monitor.evidence.recheck import run
from tests.fixtures import feeds
from tests.support.evidence import captures, sync
from tests.support.feedserver import FeedServer, Route

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


def test_the_page_is_shot_as_png_and_pdf_without_its_scripts_and_refused_addresses_stay_unasked(
    settings, chromium, monkeypatch
):
    monkeypatch.setattr(settings, "evidence_screenshots", True)
    with FeedServer() as server:
        beacon = server.url("/beacon")
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        for key in ("a1", "a2"):
            server.routes[f"/news/{key}"] = Route(
                f'<html><body><h1>Vorontsov sentenced</h1><img src="http://tracker.invalid/pixel.png">'
                f'<script>fetch("{beacon}")</script></body></html>',
                content_type="text/html",
            )
        sync(settings, [server.url("/rss")])
        poll_all_once()
        run(now=utcnow())
        hits = [hit.path for hit in server.hits]

    shots = captures(Capture.kind.in_(["screenshot", "pdf"]))
    assert sorted(c.kind for c in shots) == ["pdf", "pdf", "screenshot", "screenshot"]
    png = blob_path(settings, next(c for c in shots if c.kind == "screenshot").sha256).read_bytes()
    pdf = blob_path(settings, next(c for c in shots if c.kind == "pdf").sha256).read_bytes()
    assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    assert "/beacon" not in hits  # the page's script did not run
    assert all(c.transform == "requests refused by the address guard: 1" for c in shots)
    assert all(c.method == "monitor 0.1.0 chromium" for c in shots)
