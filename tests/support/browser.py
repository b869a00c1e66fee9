"""What every browser test shares: the app served by uvicorn on a free loopback port, and
Debian's Chromium through Playwright (never ``playwright install``)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from monitor.evidence.browser import CHROMIUM_ARGS  # the same flags the page captures use
from monitor.web.app import create_app
from tests.support.stack import free_port
from tests.support.web import EMAIL, PASSWORD

CHROMIUM = "/usr/bin/chromium"
STARTUP_TIMEOUT = 15.0


@contextmanager
def served_app(host: str = "127.0.0.1") -> Iterator[str]:
    """The app in uvicorn, in a thread, on a free loopback port; the base URL under ``host``
    (``localhost`` where a test needs a host name, as WebAuthn does)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium():
    """Headless Chromium; a missing browser fails the test under CI and skips it elsewhere."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def server(settings):
    """The app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    with served_app() as url:
        yield url


@pytest.fixture
def browser():
    with chromium() as launched:
        yield launched


def _watch(page) -> dict:
    """Collect console messages, page errors and every requested URL."""
    seen = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda message: seen["console"].append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: seen["requests"].append(request.url))
    return seen


def _log_in(page, server: str, email: str = EMAIL) -> None:
    page.goto(f"{server}/review")
    assert page.url == f"{server}/login"
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/review")
    page.wait_for_selector("body[data-keys=ready]", state="attached")


def _wait_for(predicate, timeout: float = 15.0) -> None:
    """Poll ``predicate`` until true. 15 s, not 5: CI runs five test processes beside Chromium
    on two cores, and a wait that succeeds costs no more for it."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def label_of(mention_id: int) -> str | None:
    return _mention(mention_id).label


VIEWPORT = {"width": 1366, "height": 768}


def _mention(mention_id: int):
    from monitor.core.models import Mention
    from tests.support.web import _db

    with _db() as session:
        return session.get(Mention, mention_id)
