"""Which language a page speaks: ?lang=, the user's own choice, Accept-Language; <html lang> on every page.

Real app (TestClient) on SQLite and PostgreSQL; the pages are the real templates and catalogues.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import select

from monitor import i18n
from monitor.core.config_file import ConfigError, parse_watchlist
from monitor.core.db import session_scope
from monitor.core.models import AuditEntry, Person, Source, User, utcnow
from monitor.core.settings import get_settings
from monitor.review.users import add_user
from tests.support.i18n import PASSWORD, add_mentions, csrf_from, html_lang, log_in, sync_people

REVIEWER = "reviewer@example.org"
ADMIN = "admin@example.org"


def _user(email: str) -> User:
    with session_scope(get_settings().database_url) as session:
        return session.exec(select(User).where(User.email == email)).one()


def _set_language(client, language: str):
    token = csrf_from(client.get("/settings").text)
    return client.post("/settings/language", data={"language": language, "csrf_token": token}, follow_redirects=False)


def test_the_login_page_speaks_english_by_default(client):
    page = client.get("/login")
    assert html_lang(page.text) == "en" and "<h1>Log in</h1>" in page.text
    assert page.headers["content-language"] == "en"


def test_lang_ru_turns_the_login_page_russian(client):
    page = client.get("/login?lang=ru")
    assert html_lang(page.text) == "ru" and "<h1>Войти</h1>" in page.text and "Пароль" in page.text
    assert page.headers["content-language"] == "ru"


def test_accept_language_picks_the_first_language_we_have(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE, ru-RU;q=0.9, en;q=0.8"})
    assert html_lang(page.text) == "ru" and "Войти" in page.text
    page = client.get("/login", headers={"Accept-Language": "de, fr;q=0.5"})
    assert html_lang(page.text) == "en"


def test_lang_is_remembered_for_the_next_pages_of_the_session(client):
    client.get("/login?lang=ru")
    assert html_lang(client.get("/login").text) == "ru"
    client.get("/login?lang=en")
    assert html_lang(client.get("/login", headers={"Accept-Language": "ru"}).text) == "en"


def test_an_unknown_lang_is_ignored(client):
    page = client.get("/login?lang=xx", headers={"Accept-Language": "ru"})
    assert page.status_code == 200 and html_lang(page.text) == "ru"


def test_a_user_chooses_russian_on_settings_and_every_page_follows(client):
    add_user(email=REVIEWER, role="reviewer", password=PASSWORD)
    log_in(client, REVIEWER)
    assert html_lang(client.get("/review").text) == "en"

    assert _set_language(client, "ru").status_code == 303

    assert _user(REVIEWER).language == "ru"
    queue = client.get("/review").text
    assert html_lang(queue) == "ru" and "Очередь проверки" in queue and "Нет упоминаний, ожидающих проверки." in queue
    settings_page = client.get("/settings").text
    assert '<option value="ru" lang="ru" selected>Русский</option>' in settings_page
    # The user's own choice outranks the browser's.
    assert html_lang(client.get("/people", headers={"Accept-Language": "en"}).text) == "ru"
    with session_scope(get_settings().database_url) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user-language")).one()
        assert entry.before == {"language": None} and entry.after == {"language": "ru"}


def test_an_empty_choice_goes_back_to_the_browser_language(client):
    add_user(email=REVIEWER, role="reviewer", password=PASSWORD)
    log_in(client, REVIEWER)
    _set_language(client, "ru")
    assert _set_language(client, "").status_code == 303
    assert _user(REVIEWER).language is None
    assert html_lang(client.get("/review", headers={"Accept-Language": "en-GB"}).text) == "en"


def test_an_unknown_language_is_refused_in_one_line_and_nothing_changes(client):
    add_user(email=REVIEWER, role="reviewer", password=PASSWORD)
    log_in(client, REVIEWER)
    answer = _set_language(client, "xx")
    assert answer.status_code == 400 and "language: unknown language &#39;xx&#39;" in answer.text
    assert _user(REVIEWER).language is None


def test_the_language_form_needs_the_csrf_token(client):
    add_user(email=REVIEWER, role="reviewer", password=PASSWORD)
    log_in(client, REVIEWER)
    answer = client.post("/settings/language", data={"language": "ru"}, follow_redirects=False)
    assert answer.status_code in (400, 403)
    assert _user(REVIEWER).language is None


def test_error_pages_speak_the_language_too(client):
    add_user(email=REVIEWER, role="reviewer", password=PASSWORD)
    log_in(client, REVIEWER)
    page = client.get("/admin/users?lang=ru", headers={"Accept": "text/html"})
    assert page.status_code == 403 and html_lang(page.text) == "ru" and "Нет доступа" in page.text


def test_admin_pages_render_in_russian(client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    log_in(client, ADMIN)
    _set_language(client, "ru")
    for path, words in [
        ("/admin/users", "Добавить пользователя"),
        ("/sources", "Добавить источник"),
        ("/admin/people", "Отслеживаемые люди"),
        ("/admin/recipients", "Получатели сводки"),
        ("/admin/audit", "Журнал действий"),
        ("/admin/exclusions", "Предложенные исключения"),
        ("/account/sessions", "Ваши сеансы"),
        ("/digest/preview", "Просмотр сводки"),
    ]:
        page = client.get(path)
        assert page.status_code == 200 and html_lang(page.text) == "ru" and words in page.text, path


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_accept_language_header_gives_a_language_we_have_or_none(header):
    assert i18n.from_accept_language(header) in (*i18n.LANGUAGES, None)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=50))
def test_any_lang_value_reads_as_a_language_we_have_or_none(value):
    assert i18n.supported(value) in (*i18n.LANGUAGES, None)
    with i18n.use(value) as language:  # never raises: an unknown tag is English
        assert language == (i18n.supported(value) or "en") == i18n.current()


@pytest.mark.parametrize(
    "header, language",
    [
        ("ru", "ru"),
        ("ru-RU,ru;q=0.9", "ru"),
        ("en-US,en;q=0.9,ru;q=0.8", "en"),
        ("fr, uk;q=0.3, ru;q=0.2", "uk"),
        ("ru;q=0, en", "en"),
        ("ru;q=abc, en;q=0.1", "en"),
        ("*", None),
        ("", None),
        ("ru;q=1.5", None),
    ],
)
def test_accept_language_reads_quality_values(header, language):
    assert i18n.from_accept_language(header) == language


def test_a_wrong_password_is_told_in_russian_and_the_language_outlives_the_login(client):
    add_user(email=REVIEWER, role="reviewer", password=PASSWORD)
    token = csrf_from(client.get("/login?lang=ru").text)
    answer = client.post("/login", data={"email": REVIEWER, "password": "wrong", "csrf_token": token})
    assert answer.status_code == 401 and "Неверный адрес или пароль." in answer.text
    log_in(client, REVIEWER)
    queue = client.get("/review").text
    assert html_lang(queue) == "ru" and "Очередь проверки" in queue


def test_a_person_page_chart_is_in_the_page_language(client):
    """The chart is built in Python before the template: the request's language reaches it."""
    add_user(email=REVIEWER, role="reviewer", password=PASSWORD)
    sync_people([])
    add_mentions("Vladimir Vorontsov", 2)
    log_in(client, REVIEWER)
    with session_scope(get_settings().database_url) as session:
        person_id = session.exec(select(Person.id).where(Person.name == "Vladimir Vorontsov")).one()
    page = client.get(f"/people/{person_id}?lang=ru").text
    assert "упоминани" in page.split("volume-chart", 1)[1].split("</svg>", 1)[0]
    assert " mentions</title>" not in page


# Words of the Python-built text (spike explanations, source health, form errors) that a Russian
# page must not show: each is in the English page below, so the test can fail.
ENGLISH_WORDS = re.compile(r"\b(mentions?|between|stor(y|ies)|cop(y|ies)|authors?|usually|failing|already)\b")


def _explanation(page: str) -> str:
    found = re.search(r'<p class="spike-explanation">([^<]*)</p>', page)
    assert found, "no spike explanation on the page"
    return found.group(1)


def test_a_russian_page_with_a_spike_a_failing_source_and_a_form_error_has_no_english_in_them(client):
    from tests.support.spikes import make_spike

    add_user(email=ADMIN, role="admin", password=PASSWORD)
    log_in(client, ADMIN)
    make_spike()
    with session_scope(get_settings().database_url) as session:
        source = session.exec(select(Source)).first()
        source.consecutive_failures, source.last_error_at = 3, source.last_success_at or utcnow()
        person_id = session.exec(select(Person.id)).one()
        url = source.url

    english = _explanation(client.get("/review?lang=en").text)
    assert ENGLISH_WORDS.search(english) and "between" in english  # the words the Russian page must not have
    assert "failing (3)" in client.get("/sources").text

    russian = _explanation(client.get("/review?lang=ru").text)
    assert not ENGLISH_WORDS.search(russian), russian
    assert re.search(r"\d+ упоминани\w* с \d\d:\d\d до \d\d:\d\d UTC — \d+ сюжет", russian), russian
    assert "обычно" in russian
    sources = client.get("/sources").text
    assert "сбои (3)" in sources and "failing" not in sources
    person = client.get(f"/people/{person_id}").text.split("<main", 1)[1]
    assert "between" not in person and "usually" not in person  # the stored English explanation stays out
    assert re.search(r"\d+ упоминани\w* с \d\d:\d\d до \d\d:\d\d UTC — \d+ сюжет", person), person  # said again

    token = csrf_from(sources)
    refused = client.post("/admin/sources", data={"url": url, "kind": "auto", "name": "", "csrf_token": token})
    error = re.search(r'<p class="error" role="alert">([^<]*)</p>', refused.text).group(1)
    assert refused.status_code == 400 and "уже есть среди источников" in error, error
    assert not ENGLISH_WORDS.search(error) and "is a" not in error

    ukrainian = _explanation(client.get("/review?lang=uk").text)
    assert not ENGLISH_WORDS.search(ukrainian) and "згадок з " in ukrainian and "зазвичай" in ukrainian, ukrainian


def test_a_config_rule_refusing_a_form_field_speaks_the_page_language(client):
    """The same validators check the config file (English on the terminal) and the admin's forms."""
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    log_in(client, ADMIN)
    form = {"url": "ftp://example.org/feed", "kind": "auto", "name": ""}

    def refused(lang: str) -> str:
        token = csrf_from(client.get(f"/sources?lang={lang}").text)
        answer = client.post("/admin/sources", data={**form, "csrf_token": token})
        assert answer.status_code == 400
        return re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.text).group(1)

    assert "bad URL" in refused("en")
    russian = refused("ru")
    assert "неверный адрес" in russian and "bad URL" not in russian and "expected" not in russian, russian
    assert "хибна адреса" in refused("uk")
    with pytest.raises(ConfigError, match="bad URL"):  # the config file still reads English
        parse_watchlist({"source": [form]}, "monitor.toml")
