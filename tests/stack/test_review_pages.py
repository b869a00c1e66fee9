"""Pages a reviewer and an admin read, in headless Chromium at 1366×768: long URLs stay inside
the viewport, a reviewer on an admin page reads why, times show the UTC on hover.
"""

from __future__ import annotations

import pytest

from monitor.review.users import add_user
from tests.support.browser import VIEWPORT, _log_in, _wait_for
from tests.support.paths import ARTIFACTS
from tests.support.web import ADMIN, PASSWORD, _note, add_mention, add_reviewer, sync

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

LONG_URL = (
    "https://news.example.org/"
    + "/".join(f"section-{n}-with-a-long-slug-that-never-breaks" for n in range(12))
    + "?utm_source="
    + "x" * 300
)


def _overflow(page) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def test_long_urls_stay_inside_the_viewport_on_sources_audit_and_permalinks(server, browser):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    sync({"person": [{"name": "Vladimir Vorontsov", "aliases": ["Vorontsov"]}], "source": [{"url": LONG_URL}]})
    mention_id = add_mention(url=LONG_URL, title=LONG_URL, text=f"Vorontsov {LONG_URL}")
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server, email=ADMIN)
    page.locator(f"#mention-{mention_id}").get_by_role("button", name="Assign to me").click()
    page.locator(f"#mention-{mention_id} input[name=value]").fill(LONG_URL)  # a note holding the URL: audited
    page.locator(f"#mention-{mention_id} input[name=value]").press("Enter")
    _wait_for(lambda: _note(mention_id) == LONG_URL)
    for path in ("/sources", "/admin/audit", f"/mentions/{mention_id}", "/review"):
        page.goto(f"{server}{path}")
        width, viewport = _overflow(page)
        page.screenshot(path=str(ARTIFACTS / f"long-url{path.replace('/', '-')}.png"))
        assert width <= viewport, (path, width, viewport)
    page.goto(f"{server}/admin/audit")
    assert LONG_URL[:40] in page.inner_text("table.audit-log")


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_an_admins_navigation_bar_in_longer_words_stays_inside_the_viewport(server, browser, language):
    """Russian and Ukrainian words are longer than English ones: the admin's eleven links wrap
    rather than push "Settings" and "Log out" off the screen."""
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server, email=ADMIN)
    for path in ("/review", "/people"):
        page.goto(f"{server}{path}?lang={language}")
        width, viewport = _overflow(page)
        page.screenshot(path=str(ARTIFACTS / f"nav-{language}{path.replace('/', '-')}.png"))
        assert width <= viewport, (language, path, width, viewport)
        logout = page.locator("header.bar form[action='/logout'] button").bounding_box()
        assert logout["x"] + logout["width"] <= viewport


# Every control on a card's side and where it ends, against the card's right edge and the window's.
SIDE_OVERFLOW = """() => Array.from(document.querySelectorAll('article.card')).flatMap(card => {
  const edge = Math.min(card.getBoundingClientRect().right, window.innerWidth) + 1;
  return Array.from(card.querySelectorAll('.side button, .side input[type=text], .side .hint'))
    .filter(el => el.getBoundingClientRect().right > edge).map(el => el.textContent.trim() || el.placeholder);
})"""


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_a_cards_buttons_in_longer_words_stay_on_the_card(server, browser, language):
    """The queue card's actions in Russian and Ukrainian: "Escalate" and "Assign to me" were past
    the card's edge and the window's (the page 1,455 pixels wide in Russian), the hint cut off."""
    add_reviewer()
    for n in range(3):
        add_mention(guid=f"s{n}", title=f"Solidarity with Vorontsov, day {n}", text="We stand with Vorontsov")
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server)
    page.goto(f"{server}/review?lang={language}")
    page.screenshot(path=str(ARTIFACTS / f"cards-{language}.png"))
    assert page.locator("article.card .hint").count() == 3
    assert page.evaluate(SIDE_OVERFLOW) == []
    width, viewport = _overflow(page)
    assert width <= viewport, (language, width, viewport)
    hint = page.locator("article.card .hint").first
    assert hint.evaluate(
        "el => el.scrollWidth <= el.clientWidth + 1 && el.getBoundingClientRect().right <= el.parentElement.getBoundingClientRect().right + 1"
    )


def test_a_reviewer_on_an_admin_page_reads_what_they_may_not_do(server, browser):
    add_reviewer()
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server)
    response = page.goto(f"{server}/admin/users")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Not allowed"
    assert "Only admins can open this page." in page.inner_text("main")
    page.get_by_role("link", name="Back to the review queue").click()
    page.wait_for_url(f"{server}/review")


def test_times_name_their_zone_and_show_utc_on_hover(server, browser, settings):
    settings.config.write_text('[digest]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    add_reviewer()
    mention_id = add_mention()
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server)
    first_seen = page.locator(f"#mention-{mention_id} .first-seen time")
    assert first_seen.inner_text().endswith(" JST") and first_seen.get_attribute("title").endswith(" UTC")
    assert page.locator(f"#mention-{mention_id} .published").inner_text() == "—"  # the feed gave no date


def test_an_admin_is_warned_of_the_same_person_and_pauses_a_config_person(server, browser):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    sync({"person": [{"name": "Vladimir Vorontsov", "aliases": ["Владимир Воронцов", "Vorontsov"]}]})
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server, email=ADMIN)
    page.goto(f"{server}/admin/people")
    form = page.get_by_role("form", name="add a person")
    form.get_by_label("Name", exact=True).fill("Владимир Воронцов")
    form.get_by_label("Aliases").fill("Vorontsov\nВоронцов")
    form.get_by_label("Exclusions").fill("Vorontsov Palace")
    form.get_by_role("radio", name="Search providers may be sent this name").check()  # issue 16 asks it
    form.get_by_role("button", name="Add person").click()
    assert "is already a name of 'Vladimir Vorontsov'" in page.locator("p.error").inner_text()
    form = page.get_by_role("form", name="add a person")
    assert form.get_by_label("Name", exact=True).input_value() == "Владимир Воронцов"  # nothing typed is lost
    assert form.get_by_label("Aliases").input_value() == "Vorontsov\nВоронцов"
    assert form.get_by_label("Exclusions").input_value() == "Vorontsov Palace"

    page.get_by_role("link", name="Vladimir Vorontsov").click()
    page.get_by_role("button", name="Pause").click()
    assert "Paused on the web since" in page.inner_text("main")
    page.get_by_role("link", name="Volume and recent stories").click()
    assert "from the config file" in page.inner_text("h1") and "until an admin resumes it" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "person-paused.png"))
