"""Screenshot (PNG) and PDF of a linked page through headless Chromium, when a setting enables it.

``MONITOR_EVIDENCE_SCREENSHOTS=true`` turns it on; the page's own scripts stay off unless
``MONITOR_EVIDENCE_PAGE_SCRIPTS=true``. Every request the page makes (images, styles, frames,
redirects) passes the same address guard as our fetches (``monitor.ingest.addresses``) through
Playwright's route interception: a request for a private or otherwise refused address is
aborted, so a page cannot make the monitor reach the inside of its network. (Chromium then
connects by name itself; our fetcher pins the checked address, which a browser cannot.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from monitor.core import blob_store as store
from monitor.core import db
from monitor.core.models_evidence import Capture
from monitor.core.storage.captures import method_name
from monitor.ingest.addresses import AddressRefused, resolve_checked

log = logging.getLogger(__name__)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 30_000


@dataclass
class Shots:
    png: bytes
    pdf: bytes
    blocked: list[str]  # addresses the guard refused


def render(settings, url: str) -> Shots:
    """Load ``url`` in a fresh Chromium context and return its full-page PNG and its PDF."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(settings.evidence_chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(java_script_enabled=settings.evidence_page_scripts, service_workers="block")
            context.route("**/*", lambda route: _guard(route, settings, blocked))
            page = context.new_page()
            page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
            return Shots(png=page.screenshot(full_page=True), pdf=page.pdf(), blocked=blocked)
        finally:
            browser.close()


def _guard(route, settings, blocked: list[str]) -> None:
    url = route.request.url
    if urlsplit(url).scheme in ("data", "blob", "about"):
        route.continue_()
        return
    try:
        resolve_checked(url, allow_private=settings.allow_private_networks)
    except AddressRefused:
        blocked.append(urlsplit(url).hostname or "?")
        route.abort("blockedbyclient")
        return
    route.continue_()


def capture_shots(settings, *, mention_id: int, url: str, now: datetime) -> list[int]:
    """Store the screenshot and PDF of ``url`` for the mention; the new ``Capture`` ids ([] on failure)."""
    try:
        shots = render(settings, url)
    except Exception as exc:  # noqa: BLE001 - a page that will not render costs its screenshot only
        log.warning("screenshot failed: %s", type(exc).__name__, extra={"mention_id": mention_id})
        return []
    transform = f"requests refused by the address guard: {len(shots.blocked)}" if shots.blocked else ""
    with db.session_scope() as session:
        rows = [
            Capture(
                kind=kind,
                mention_id=mention_id,
                sha256=store.put(settings, data),
                url=url,
                size=len(data),
                method=method_name("chromium"),
                captured_at=now,
                transform=transform,
            )
            for kind, data in (("screenshot", shots.png), ("pdf", shots.pdf))
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]
