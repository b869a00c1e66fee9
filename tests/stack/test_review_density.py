"""How much of the queue a reviewer sees at once: cards fully inside a 1366×768 viewport.

Screenshots go to ``tests/artifacts/`` (git-ignored) so a person can look at what was counted.
Runs on SQLite only: the page is what is measured, the database is tested elsewhere.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import paths
from tests.support.browser import VIEWPORT, _log_in
from tests.support.web import add_mention, add_reviewer

pytestmark = pytest.mark.browser

ARTIFACTS = paths.ARTIFACTS
MIN_CARDS_PER_SCREEN = 8

# A count of the cards whose box lies wholly between the top and bottom of the viewport.
COUNT_VISIBLE = """() => Array.from(document.querySelectorAll('article.card')).filter(card => {
  const box = card.getBoundingClientRect();
  return box.top >= -1 && box.bottom <= window.innerHeight + 1 && box.height > 0;
}).length"""

LONG_TEXT = (
    "Moscow, 14 March. The city court extended the pre-trial detention of Vladimir Vorontsov by three months, "
    "his lawyer said after a closed hearing that lasted less than an hour. Supporters gathered outside the "
    "building with placards; police detained two of them and released them later that evening. The defence "
    "will appeal the decision, which it called a formality, and asked again for house arrest on medical grounds."
)


def _fill_queue(count: int) -> list[int]:
    """``count`` realistic cards: long titles, a long text naming the person mid-way."""
    return [
        add_mention(
            guid=f"d{n}",
            title=f"Court extends detention of activist, lawyer says appeal will follow ({n})",
            text=LONG_TEXT,
            url=f"https://news.example.org/2026/03/14/court-extends-detention-{n}",
            fetched_ago=timedelta(minutes=n),
        )
        for n in range(count)
    ]


def cards_per_screen(page) -> tuple[int, int]:
    """(cards fully visible when the page opens, cards fully visible once the first card is at the top)."""
    at_open = page.evaluate(COUNT_VISIBLE)
    page.evaluate("() => document.querySelector('article.card').scrollIntoView({block: 'start'})")
    return at_open, page.evaluate(COUNT_VISIBLE)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_at_least_eight_cards_fit_a_1366_by_768_screen(server, browser):
    add_reviewer()
    ids = _fill_queue(20)
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-1366x768.png"))
    at_open, per_screen = cards_per_screen(page)
    page.screenshot(path=str(ARTIFACTS / "queue-1366x768-scrolled.png"))
    (ARTIFACTS / "queue-density.txt").write_text(f"at open: {at_open}\nper screen: {per_screen}\n")
    print(f"cards fully visible at 1366x768: {at_open} when the page opens, {per_screen} per screen")
    assert per_screen >= MIN_CARDS_PER_SCREEN, (at_open, per_screen)
    # The highlighted name is still on every card.
    first = page.locator(f"#mention-{ids[0]}")
    assert first.locator(".snippet mark").count() >= 1 and first.locator(".snippet mark").first.is_visible()


def _style(page, selector: str, prop: str) -> str:
    return page.evaluate(f"() => getComputedStyle(document.querySelector('{selector}')).{prop}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_reviewed_cards_look_different_and_labels_keep_their_colour(server, browser):
    add_reviewer()
    reviewed, unreviewed = _fill_queue(2)
    page = browser.new_page(viewport=VIEWPORT)
    _log_in(page, server)
    page.locator(f"#mention-{reviewed}").get_by_role("button", name="3 hostile").click()
    page.wait_for_selector(f"#mention-{reviewed}.state-reviewed")
    page.goto(page.url + "?state=all")
    page.wait_for_selector(f"#mention-{reviewed}.labelled-hostile")
    page.screenshot(path=str(ARTIFACTS / "queue-reviewed-and-unreviewed.png"))
    old, new = f"#mention-{reviewed}", f"#mention-{unreviewed}"
    assert _style(page, old, "backgroundColor") != _style(page, new, "backgroundColor")
    hostile = _style(page, f"{new} button.label-hostile", "color")
    assert hostile == _style(page, f"{new} button.label-hostile", "borderTopColor") == "rgb(176, 0, 32)"
    assert _style(page, old, "borderLeftColor") == hostile == _style(page, f"{old} span.label", "backgroundColor")
    colours = {
        _style(page, f"{new} button.label-{label}", "color")
        for label in ("solidarity", "news", "hostile", "unrelated", "other")
    }
    assert len(colours) == 5
