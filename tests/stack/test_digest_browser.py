"""The HTML digest rendered by headless Chromium to a PNG: the spike section and chart show.

Never runs ``playwright install``: it drives the system Chromium, like test_review_browser.
"""

from __future__ import annotations

import base64
import email
from datetime import timedelta
from email import policy

import pytest

from monitor.notify.digest import send_digests
from tests.support.digest import (
    DAY,
    DAY_START,
    MOSCOW,
    NOON,
    make_mention,
    make_person,
    make_recipient,
    make_source,
    make_spike,
)

pytestmark = pytest.mark.browser

# Counts pixels of one colour in a PNG, decoded by the browser itself (no imaging library needed).
COUNT_PIXELS = """async ([png, rgb]) => {
  const img = new Image(); img.src = "data:image/png;base64," + png; await img.decode();
  const canvas = document.createElement("canvas"); canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext("2d"); ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data; let n = 0;
  for (let i = 0; i < data.length; i += 4)
    if (Math.abs(data[i] - rgb[0]) < 8 && Math.abs(data[i + 1] - rgb[1]) < 8 && Math.abs(data[i + 2] - rgb[2]) < 8) n++;
  return n;
}"""
SPIKE_ORANGE = [0xD9, 0x48, 0x0F]
BAR_BLUE = [0x9B, 0xB7, 0xD4]


def digest_html(settings) -> str:
    [eml] = (settings.data_dir / "outbox").iterdir()
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    return msg.get_body(("html",)).get_content()


def test_the_html_digest_renders_its_spike_section_and_volume_chart_in_chromium(settings, browser, tmp_path):
    person, source = make_person(), make_source()
    make_spike(person, DAY_START + timedelta(hours=14), count=41)
    for days_before, count in [(0, 6), (1, 3), (2, 1)]:
        for _ in range(count):
            make_mention(
                source, [person], title=f"Story {days_before}", published_at=NOON - timedelta(days=days_before)
            )
    make_recipient()
    send_digests(day=DAY, force=False, digest=MOSCOW)

    page = browser.new_page(viewport={"width": 800, "height": 900})
    page.set_content(digest_html(settings))
    png = tmp_path / "digest.png"
    page.screenshot(path=str(png), full_page=True)

    spikes = page.locator("#spikes")
    assert spikes.is_visible() and "41 mentions at 14:00" in spikes.inner_text()
    assert "about 3.5 expected" in spikes.inner_text()
    bars = page.locator(".chart .bar")
    heights = [bars.nth(i).bounding_box()["height"] for i in range(bars.count())]
    assert len(heights) == 14 and heights[-1] == max(heights) >= 38 and heights[-2] == pytest.approx(20, abs=2)
    assert spikes.bounding_box()["y"] < page.locator(".chart").bounding_box()["y"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    encoded = base64.b64encode(png.read_bytes()).decode()
    counter = browser.new_page()
    assert counter.evaluate(COUNT_PIXELS, [encoded, BAR_BLUE]) >= 2 * 10 * 6  # the two earlier days' bars
    assert counter.evaluate(COUNT_PIXELS, [encoded, SPIKE_ORANGE]) >= 10 * 38  # today's bar and the spike border


def test_the_digest_preview_shows_the_emails_styles_in_a_sandboxed_frame(settings, browser):
    from monitor.review.users import add_user
    from tests.support.browser import _watch
    from tests.support.web import ADMIN, PASSWORD

    person = make_person()
    make_spike(person, DAY_START + timedelta(hours=14), count=41)
    make_mention(make_source(), [person], title="Court jails Vorontsov", published_at=NOON)
    settings.config.write_text('[digest]\ntimezone = "Europe/Moscow"\n', encoding="utf-8")
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    with _live_server(settings) as base:
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        seen = _watch(page)
        page.goto(f"{base}/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/review")
        page.click("nav >> text=Digest preview")  # linked from the admin pages
        page.wait_for_url(f"{base}/digest/preview")
        page.goto(f"{base}/digest/preview?date={DAY.isoformat()}")
        frame = page.frame_locator("iframe.digest-frame")
        spikes = frame.locator("#spikes")
        spikes.wait_for(timeout=10000)
        # The inline styles apply: the spike heading is orange and bold, the box has its border.
        heading = frame.locator("#spikes td").first
        assert heading.evaluate("e => getComputedStyle(e).color") == "rgb(217, 72, 15)"
        assert heading.evaluate("e => getComputedStyle(e).fontWeight") == "700"
        bar_height = frame.locator(".chart .bar, td.bar").last.evaluate("e => e.getBoundingClientRect().height")
        assert bar_height >= 2
        # The frame is sandboxed: scripts cannot run in it, whatever the email held.
        assert page.locator("iframe.digest-frame").get_attribute("sandbox") == ""
        assert not [m for m in seen["console"] if "Content Security Policy" in m], seen["console"]
        assert all(url.startswith(base) for url in seen["requests"]), seen["requests"]


def _live_server(settings):
    import contextlib
    import threading
    import time

    import uvicorn

    from monitor.web.app import create_app
    from tests.support.stack import free_port

    @contextlib.contextmanager
    def running():
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    return running()
