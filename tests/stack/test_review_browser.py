"""The review page in real headless Chromium against a real uvicorn on loopback.

Never runs ``playwright install``: it drives the system Chromium at ``CHROMIUM``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from monitor.core.models import Person, Source
from monitor.review.users import add_user
from tests.support.browser import _log_in, _mention, _wait_for, _watch, label_of
from tests.support.web import HOSTILE_TEXT, PASSWORD, _db, add_mention, add_reviewer, status_of

ADMIN = "admin@example.org"

pytestmark = pytest.mark.browser


def test_a_reviewer_triages_with_the_keyboard(server, browser, tmp_path):
    add_reviewer()
    newest = add_mention(guid="a", title="Newest story", text="We stand with Vorontsov")
    middle = add_mention(guid="b", title="Middle story", fetched_ago=timedelta(minutes=1))
    oldest = add_mention(guid="c", title="Oldest story", fetched_ago=timedelta(minutes=2))
    extra = add_mention(guid="d", title="Extra story", fetched_ago=timedelta(minutes=3))
    page = browser.new_page()
    seen = _watch(page)
    _log_in(page, server)
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("?")
    assert not page.locator("#help").is_visible()

    page.keyboard.press("j")  # first card
    page.keyboard.press("1")  # solidarity
    _wait_for(lambda: label_of(newest) == "solidarity")
    # Polled from Python: the page's CSP forbids the eval that page.wait_for_function(str) needs.
    _wait_for(lambda: page.locator(f"#mention-{newest} .label").inner_text() == "solidarity")
    assert page.locator(f"#mention-{middle}").get_attribute("class").count("current") == 1  # moved on

    page.keyboard.press("x")  # select middle
    page.keyboard.press("j")
    page.keyboard.press("x")  # select oldest
    page.keyboard.press("3")  # hostile on the selection
    _wait_for(lambda: label_of(middle) == "hostile" and label_of(oldest) == "hostile")
    page.keyboard.press("j")
    page.keyboard.press("e")
    _wait_for(lambda: state_of(extra) == "escalated")
    _wait_for(lambda: page.locator(f"#mention-{extra} .state").inner_text() == "escalated")
    assert status_of(newest) == "confirmed" and page.evaluate("document.body.dataset.error") is None
    assert seen["errors"] == [] and [m for m in seen["console"] if m.startswith("error")] == []


def test_a_key_pressed_before_the_answer_acts_on_the_card_under_the_cursor(server, browser):
    """The answers to the page's actions are held back (Playwright routes) as a slow server
    would: the reviewer labels a selection, moves on and escalates the next card before the
    first answer comes. The escalation goes to that card, not to the selection sent before."""
    add_reviewer()
    first, second, third = (
        add_mention(guid=g, title=f"Story {g}", fetched_ago=timedelta(minutes=n)) for n, g in enumerate("abc")
    )
    page = browser.new_page()
    _log_in(page, server)
    held = []
    page.route("**/review/act", lambda route: held.append(route))
    for key in "jxjx3":  # select the first two cards, label them hostile
        page.keyboard.press(key)
    _wait_for(lambda: page.locator("article.card").count() and len(held) == 1)  # a locator call lets routes run
    assert page.locator("input.select:checked").count() == 0  # the selection is spent once sent
    page.keyboard.press("j")
    page.keyboard.press("e")
    _wait_for(lambda: page.locator("article.card").count() and len(held) == 2)
    for route in held:
        route.continue_()
    _wait_for(lambda: state_of(third) == "escalated")
    _wait_for(lambda: label_of(first) == label_of(second) == "hostile")
    assert state_of(first) != "escalated" and state_of(second) != "escalated"

    # A refused action gives the selection back: the flash says nothing was changed.
    held.clear()
    page.keyboard.press("x")
    page.keyboard.press("2")
    _wait_for(lambda: page.locator("article.card").count() and len(held) == 1)
    assert page.locator("input.select:checked").count() == 0
    held[0].fulfill(status=403, content_type="application/json", body='{"detail": "not yours"}')
    _wait_for(lambda: page.locator(f"#mention-{third} input.select:checked").count() == 1)
    assert "Nothing was changed" in page.locator("#flash").inner_text()
    assert label_of(third) is None


def test_a_card_selected_again_before_its_last_answer_comes_stays_selected(server, browser):
    """The answer to an action used to clear the checkbox of each card it changed: a reviewer
    who had selected the card again meanwhile lost the selection, and the next key acted on
    the card under the cursor instead (a CI run's slow answer did this to the test above)."""
    add_reviewer()
    first = add_mention(guid="a", title="Story a")
    add_mention(guid="b", title="Story b", fetched_ago=timedelta(minutes=1))
    page = browser.new_page()
    _log_in(page, server)
    held = []
    page.route("**/review/act", lambda route: held.append(route))
    page.keyboard.press("j")
    page.keyboard.press("e")  # escalate the first card; its answer is held
    _wait_for(lambda: page.locator("article.card").count() and len(held) == 1)
    page.keyboard.press("x")  # select it again before the answer comes
    assert page.locator(f"#mention-{first} input.select:checked").count() == 1
    held[0].continue_()
    _wait_for(lambda: page.locator(f"#mention-{first} .state").inner_text() == "escalated")
    assert page.locator(f"#mention-{first} input.select:checked").count() == 1


def test_a_reviewer_bulk_labels_and_filters(server, browser):
    add_reviewer()
    ids = [add_mention(guid=f"g{n}", title=f"Bulk story {n}", fetched_ago=timedelta(minutes=n)) for n in range(3)]
    other = add_mention(guid="o", title="Needle in the haystack", fetched_ago=timedelta(minutes=9))
    page = browser.new_page()
    _log_in(page, server)
    for mention_id in ids:
        page.check(f"#mention-{mention_id} input.select")
    page.locator("#bulk").get_by_role("button", name="unrelated").click()
    page.wait_for_url(re.compile(r"/review\?state=unreviewed$"))  # back to the same filtered queue
    assert [status_of(i) for i in ids] == ["dismissed"] * 3 and status_of(other) == "new"
    assert page.locator("article.card").count() == 1

    page.fill("input[name=q]", "haystack")
    page.select_option("select[name=state]", "all")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/review?*q=haystack*")
    assert page.locator("article.card").count() == 1
    assert "Needle in the haystack" in page.inner_text("main")


def test_a_reviewer_filters_by_language(server, browser, tmp_path):
    add_reviewer()
    russian = add_mention(guid="ru", title="Суд над Воронцовым", text="Воронцов в суде")
    english = add_mention(guid="en", title="Court story", fetched_ago=timedelta(minutes=1))
    _set_languages({russian: "ru", english: "en"})
    page = browser.new_page()
    _log_in(page, server)
    assert page.locator(f"#mention-{russian} .language").inner_text() == "ru"
    page.select_option("select[name=language]", "ru")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/review?*language=ru*")
    assert [a.get_attribute("id") for a in page.locator("article.card").all()] == [f"mention-{russian}"]
    page.screenshot(path=str(tmp_path / "language-filter.png"), full_page=True)


def test_an_admin_adds_a_person_and_a_source(server, browser, tmp_path):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    page = browser.new_page()
    seen = _watch(page)
    _log_in(page, server, email=ADMIN)
    page.get_by_role("link", name="Watch list").click()
    form = page.get_by_role("form", name="add a person")
    form.get_by_label("Name", exact=True).fill("Anna Petrova")
    form.get_by_label("Aliases").fill("Анна Петрова\nPetrova")
    form.get_by_label("Exclusions").fill("Petrova Street")
    form.get_by_role("radio", name="Private: never search for this name").check()  # issue 16 asks it
    form.get_by_role("button", name="Add person").click()
    page.wait_for_url(re.compile(r"/admin/people/\d+$"))
    assert "added on the web" in page.inner_text("h1")
    assert {"Анна Петрова", "Petrova Street"} <= set(page.locator("table td:nth-child(2)").all_inner_texts())
    page.screenshot(path=str(tmp_path / "admin-person.png"), full_page=True)

    page.get_by_role("link", name="Sources").click()
    form = page.get_by_role("form", name="add a source")
    form.get_by_label("URL").fill("https://feeds.example.org/news.xml")
    form.get_by_label("kind").select_option("rss")
    form.get_by_label("name").fill("Example feed")
    form.get_by_role("button", name="Add source").click()
    page.wait_for_url(f"{server}/sources")
    row = page.locator("tr", has_text="Example feed")
    assert "feeds.example.org/news.xml" in row.inner_text() and row.get_by_role("button", name="Disable").count() == 1
    row.get_by_role("button", name="Disable").click()
    page.wait_for_url(f"{server}/sources")
    assert "disabled" in page.locator("tr", has_text="Example feed").inner_text()
    page.screenshot(path=str(tmp_path / "admin-sources.png"), full_page=True)
    assert seen["errors"] == [] and all(url.startswith(server) for url in seen["requests"])
    with _db() as session:
        assert session.exec(select(Person).where(Person.name == "Anna Petrova")).one().origin == "web"
        source = session.exec(select(Source).where(Source.name == "Example feed")).one()
    assert (source.kind, source.origin, source.enabled) == ("rss", "web", False)


def _set_languages(languages: dict[int, str]) -> None:
    from monitor.core.models import Mention

    with _db() as session:
        for mention_id, language in languages.items():
            session.get(Mention, mention_id).language = language


def test_a_reviewer_opens_a_person_page(server, browser, tmp_path):
    add_reviewer()
    add_mention(title="Hearing postponed")
    page = browser.new_page()
    seen = _watch(page)
    _log_in(page, server)
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Vladimir Vorontsov").click()
    page.wait_for_url(f"{server}/people/*")
    assert page.locator("svg.chart rect.bar").count() == 30
    assert "Hearing postponed" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "person.png"), full_page=True)
    assert seen["errors"] == []


HOSTILE_TITLE = '<img src="https://tracker.example/pixel.gif" onerror="window.pwned = 3">Title'
HOSTILE_BODY = HOSTILE_TEXT + ' <a href="javascript:window.pwned=4">click</a> <svg onload="window.pwned=5"></svg>'


def test_hostile_feed_text_shows_as_text_and_does_not_run(server, browser):
    add_reviewer()
    mention_id = add_mention(text=HOSTILE_BODY, title=HOSTILE_TITLE, url="javascript:window.pwned=6")
    page = browser.new_page()
    seen = _watch(page)
    _log_in(page, server)

    card = page.locator(f"#mention-{mention_id}")
    assert "<script>window.pwned = 1;" in card.locator(".snippet").inner_text()
    assert "<img src=" in card.locator(".title").inner_text()
    assert page.locator("main script, main img, main svg, main a[href^=javascript]").count() == 0
    card.locator(".title").click()
    page.locator(f"#mention-{mention_id} details summary").click()
    page.keyboard.press("j")
    page.keyboard.press("2")
    _wait_for(lambda: label_of(mention_id) == "news")
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.title() != "pwned"
    assert seen["errors"] == [] and not [m for m in seen["console"] if "pwned" in m or m.startswith("error")]
    assert all(url.startswith(server) for url in seen["requests"]), seen["requests"]  # no feed image fetched


def state_of(mention_id: int) -> str:
    return _mention(mention_id).review_state
