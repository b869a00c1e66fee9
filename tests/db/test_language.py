"""The language of a mention: declared by its source, else detected from its text."""

from __future__ import annotations

from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Mention
from monitor.core.storage import sync_watchlist
from monitor.entry.polling import poll_all_once
from monitor.ingest.language import detect, language_of, primary_tag
from tests.support.feedserver import FeedServer, Route


def test_a_declared_tag_is_reduced_to_its_primary_subtag():
    assert primary_tag("ru-RU") == "ru"
    assert primary_tag("en_us") == "en"
    assert primary_tag(" UK ") == "uk"
    assert primary_tag("english") is None
    assert primary_tag("") is None


def test_undeclared_text_is_detected_and_a_too_short_one_is_left_empty():
    assert detect("Суд над активистом Ивановым начнётся завтра утром") == "ru"
    assert detect("Свободу Ігорю Петренку! Суд відбувся вчора ввечері") == "uk"
    assert detect("The court hearing for the activist starts tomorrow morning") == "en"
    assert detect("ok!") is None
    assert language_of("de-DE", "Court hearing tomorrow", "English text here for sure") == "de"


def _rss(base: str, language: str | None, titles: list[str]) -> bytes:
    declared = f"<language>{language}</language>" if language else ""
    items = "".join(
        f"<item><title>{t}</title><link>{base}/p/{i}</link><guid>{base}/p/{i}</guid></item>"
        for i, t in enumerate(titles)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{declared}{items}</channel></rss>'.encode()
    )


def test_polled_mentions_store_the_declared_or_detected_language(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "true")
    from monitor.core.settings import get_settings

    get_settings.cache_clear()
    with FeedServer() as server:
        server.routes["/declared"] = Route(_rss(server.url("/declared"), "uk-UA", ["Ігор Петренко: суд"]))
        server.routes["/plain"] = Route(
            _rss(server.url("/plain"), None, ["Суд над Игорем Петренко перенесли на следующую неделю"])
        )
        settings.config.write_text(
            '[[person]]\nname = "Игорь Петренко"\naliases = ["Ігор Петренко"]\n\n'
            f'[[source]]\nurl = "{server.url("/declared")}"\n\n[[source]]\nurl = "{server.url("/plain")}"\n',
            encoding="utf-8",
        )
        with db.session_scope() as session:
            sync_watchlist(session, watchlist=load_watchlist(settings.config))
        poll_all_once()
    with db.session_scope() as session:
        languages = {m.title: m.language for m in session.exec(select(Mention))}
    assert languages == {
        "Ігор Петренко: суд": "uk",
        "Суд над Игорем Петренко перенесли на следующую неделю": "ru",
    }
