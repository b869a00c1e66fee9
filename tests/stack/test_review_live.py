"""The open queue in headless Chromium: new mentions under an "N new" bar, the count during
triage, notes and assignments saved in place, and failed actions shown without losing the card.

Page tests run on SQLite only; the queries behind them run on both databases in
``tests/web/test_review_reader.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.web import live
from tests.support.browser import _log_in, _wait_for, label_of
from tests.support.web import EMAIL, _db, _note, add_mention, add_reviewer

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

POLL = live.POLL_SECONDS * 1000 + 1000  # ms: a little over the page's polling interval


def _card_ids(page) -> list[str]:
    return [a.get_attribute("id") for a in page.locator("#cards article.card").all()]


def test_new_mentions_wait_under_a_bar_instead_of_moving_the_cards(server, browser):
    add_reviewer()
    first = add_mention(guid="a", title="First story")
    page = browser.new_page()
    page.clock.install()
    _log_in(page, server)
    page.evaluate("window.notReloaded = true")
    later = add_mention(guid="b", title="Arrived while reading", fetched_ago=timedelta(minutes=-1))
    assert page.locator("#new-bar").is_hidden()
    page.clock.run_for(POLL)
    _wait_for(lambda: page.locator("#new-bar").is_visible())
    assert page.locator("#show-new").inner_text() == "1 new mention — show"
    assert _card_ids(page) == [f"mention-{first}"]  # nothing moved under the cursor
    page.locator("#show-new").click()
    assert _card_ids(page) == [f"mention-{later}", f"mention-{first}"]
    assert page.locator("#new-bar").is_hidden() and page.evaluate("window.notReloaded") is True
    assert page.locator(f"#mention-{later} .snippet mark").count() == 1


def test_the_count_follows_triage_and_notes_and_assignments_save_in_place(server, browser):
    add_reviewer()
    ids = [add_mention(guid=f"c{n}", title=f"Story {n}", fetched_ago=timedelta(minutes=n)) for n in range(14)]
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, server)
    assert page.locator("#queue-total").inner_text() == "14"
    page.keyboard.press("j")
    page.keyboard.press("2")
    _wait_for(lambda: label_of(ids[0]) == "news")
    _wait_for(lambda: page.locator("#queue-total").inner_text() == "13")

    page.evaluate("window.notReloaded = true")
    far = page.locator(f"#mention-{ids[12]}")
    far.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    far.locator("input[name=value]").fill("called the lawyer")
    far.locator("input[name=value]").press("Enter")
    _wait_for(lambda: _note(ids[12]) == "called the lawyer")
    far.get_by_role("button", name="Assign to me").click()
    _wait_for(lambda: "reviewer@example.org" in far.locator(".assignee").inner_text())
    assert page.evaluate("window.notReloaded") is True and page.evaluate("window.scrollY") == scrolled
    assert page.locator("#flash").is_hidden()


def test_a_failed_action_says_why_and_keeps_the_card(server, browser):
    add_reviewer()
    mention_id = add_mention(guid="f", title="Keep me")
    page = browser.new_page()
    _log_in(page, server)
    card = page.locator(f"#mention-{mention_id}")
    # 403: the page's token no longer matches the session (as after logging in again elsewhere).
    page.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale'")
    page.keyboard.press("j")
    page.keyboard.press("1")
    _wait_for(lambda: page.locator("#flash").is_visible())
    assert (
        "reload it" in page.locator("#flash").inner_text()
        and "Nothing was changed" in page.locator("#flash").inner_text()
    )
    assert card.locator(".label").inner_text() == "—" and "state-unreviewed" in card.get_attribute("class")
    assert label_of(mention_id) is None

    page.reload()
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    _deactivate(EMAIL)  # the session ends on the server while the page is open
    page.keyboard.press("j")
    page.keyboard.press("3")
    _wait_for(lambda: "session has ended" in page.locator("#flash").inner_text())
    assert page.url.endswith("/review") and card.locator(".label").inner_text() == "—"
    assert label_of(mention_id) is None


def _deactivate(email: str) -> None:
    from sqlmodel import select

    from monitor.core.models import User

    with _db() as session:
        session.exec(select(User).where(User.email == email)).one().active = False
