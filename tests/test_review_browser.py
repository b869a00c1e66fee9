"""The review page in real headless Chromium against a real uvicorn on loopback.

Never runs ``playwright install``: it drives the system Chromium at ``CHROMIUM``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from monitor.web.app import create_app
from tests.test_web import EMAIL, HOSTILE_TEXT, PASSWORD, add_mention, add_reviewer, status_of

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_TIMEOUT = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(settings):
    """The app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_a_reviewer_logs_in_and_confirms_a_mention(server, browser):
    add_reviewer()
    mention_id = add_mention(title="Hearing postponed", text=HOSTILE_TEXT)
    page = browser.new_page()
    page.goto(f"{server}/review")
    assert page.url == f"{server}/login"
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/review")

    article = page.locator(f"#mention-{mention_id}")
    assert "Hearing postponed" in article.inner_text()
    assert article.locator("mark").first.inner_text() == "Vladimir Vorontsov"
    article.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{server}/review")
    assert page.locator(f"#mention-{mention_id}").count() == 0
    assert "No mentions waiting for review" in page.inner_text("main")
    assert status_of(mention_id) == "confirmed"


def test_hostile_feed_text_shows_as_text_and_does_not_run(server, browser):
    add_reviewer()
    mention_id = add_mention(text=HOSTILE_TEXT)
    page = browser.new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/review")

    snippet = page.locator(f"#mention-{mention_id} .snippet").inner_text()
    assert "<script>window.pwned = 1;" in snippet
    assert page.locator("main script, main img").count() == 0
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.title() != "pwned"
