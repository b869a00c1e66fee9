"""The UI switched to Russian in headless Chromium: the queue, a person page and the digest.

Screenshots go to ``tests/artifacts/`` (git-ignored): ``ru-queue.png``, ``ru-person.png``,
``ru-digest.png``, so a Russian reader can look at what the test saw.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from monitor.core.config_file import parse_watchlist
from monitor.core.db import session_scope
from monitor.core.models import Mention, MentionPerson, Person, Source, utcnow
from monitor.core.settings import get_settings
from monitor.core.storage.config_sync import sync_config
from monitor.review.users import add_user
from tests.support.i18n import ARTIFACTS, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

ADMIN = "admin@example.org"
VIEWPORT = {"width": 1366, "height": 900}


def _watch_list_with_mentions() -> int:
    """Two people and a source from the config; five mentions of one yesterday (the digest's
    day) and two today (the queue's). Returns the person's id."""
    config = {
        "person": [{"name": "Vladimir Vorontsov", "aliases": ["Владимир Воронцов"]}, {"name": "Anna Sokolova"}],
        "source": [{"url": "https://example.org/feed.xml", "name": "Новая газета"}],
    }
    with session_scope(get_settings().database_url) as session:
        sync_config(session, watchlist=parse_watchlist(config, "monitor.toml"), allow_empty=False)
        person = session.exec(select(Person).where(Person.name == "Vladimir Vorontsov")).one()
        source = session.exec(select(Source)).one()
        # Yesterday's noon and a moment ago but never before today's midnight (UTC, the digest's
        # zone), so the counts hold at any hour (CI once ran just after midnight).
        now = utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for n, at in enumerate([midnight - timedelta(hours=12)] * 5 + [max(midnight, now - timedelta(minutes=5))] * 2):
            mention = Mention(
                source_id=source.id,
                guid=uuid.uuid4().hex,
                title=f"Владимир Воронцов: заседание {n}",
                text="Суд над Владимиром Воронцовым",
                url=f"https://example.org/{n}",
                published_at=at,
                fetched_at=at,
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id, alias="Владимир Воронцов"))
        return person.id


def _log_in_and_choose_russian(page, server: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/review")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{server}/settings")
    form = page.get_by_role("form", name="language")
    form.locator("select[name=language]").select_option("ru")
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{server}/settings")
    assert page.locator("html").get_attribute("lang") == "ru"


def test_the_queue_a_person_page_and_the_digest_read_in_russian(server, browser):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    person_id = _watch_list_with_mentions()
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    _log_in_and_choose_russian(page, server)

    page.goto(f"{server}/review")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text().startswith("Очередь проверки")
    assert page.get_by_role("link", name="Люди").is_visible() and page.get_by_role("button", name="Выйти").is_visible()
    card = page.locator("article.card").first
    assert card.get_by_role("button", name="Взять себе").is_visible()
    assert "опубликовано" in card.inner_text() and "замечено 1 раз в 1 источнике" in card.inner_text()
    page.screenshot(path=str(ARTIFACTS / "ru-queue.png"), full_page=True)
    # The page script updates the card in place, in the page's words.
    card_id = card.get_attribute("id")
    card.locator("button.escalate").click()
    page.wait_for_function(f"() => document.querySelector('#{card_id} .state').textContent === 'передано выше'")

    page.goto(f"{server}/people/{person_id}")
    assert page.locator("h1").inner_text().startswith("Vladimir Vorontsov")
    main = page.inner_text("main")
    assert "Упоминаний в день" in main and "Последние материалы" in main and "Варианты имени" in main
    assert "Оповещения о всплесках" in main and "Mentions per day" not in main
    bar = page.locator("svg.volume-chart rect.bar title").last.text_content()  # built in Python before the page
    assert bar.endswith(("упоминание", "упоминания", "упоминаний")), bar
    page.screenshot(path=str(ARTIFACTS / "ru-person.png"), full_page=True)

    page.goto(f"{server}/digest/preview")
    assert page.locator("h1").inner_text() == "Просмотр сводки"
    frame = page.frame_locator("iframe.digest-frame")
    assert frame.locator("h1").inner_text().startswith("Сводка упоминаний за")
    assert frame.locator("html").get_attribute("lang") == "ru"
    body = frame.locator("body").inner_text()
    assert "Vladimir Vorontsov 5 упоминаний" in body and "Открыть очередь проверки" in body
    page.screenshot(path=str(ARTIFACTS / "ru-digest.png"), full_page=True)


def test_lang_in_the_address_switches_a_page_without_an_account(server, browser):
    page = browser.new_page(viewport=VIEWPORT, locale="en-US")
    page.goto(f"{server}/login?lang=ru")
    assert page.locator("html").get_attribute("lang") == "ru" and page.locator("h1").inner_text() == "Войти"
    page.goto(f"{server}/login")  # the session remembers it
    assert page.locator("h1").inner_text() == "Войти"


def test_a_russian_browser_gets_russian_pages(server, browser):
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.goto(f"{server}/login")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_label("Пароль").is_visible()
    context.close()
