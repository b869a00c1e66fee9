"""Search providers against one loopback server in each provider's documented format (both
databases): the query is built from the names (Latin and Cyrillic, phrases quoted), the
cursor or window advances, results are matched and stored once across providers, and a
``private`` person is never sent to any provider."""

from __future__ import annotations

from datetime import timedelta

from monitor.core.models import Mention, Person, Sighting, Source, utcnow
from monitor.core.models_search import SearchState
from monitor.search.run import run_searches
from tests.support.search import ProviderServer, rows, sync, write_config

ARTICLE = "<html><head><title>x</title></head><body><nav>Menu</nav><p>Суд продлил арест Владимира Воронцова.</p></body></html>"


def gdelt_articles(server: ProviderServer) -> dict:
    return {
        "articles": [
            {
                "url": server.url("/news/1"),
                "title": "Court extends an arrest",
                "seendate": "20261201T101500Z",
                "domain": "127.0.0.1",
                "language": "Russian",
                "sourcecountry": "Russia",
            },
            {
                "url": server.url("/news/gone"),
                "title": "Vladimir Vorontsov appeal rejected",
                "seendate": "20261201T110000Z",
                "domain": "127.0.0.1",
                "language": "English",
                "sourcecountry": "Russia",
            },
            {
                "url": server.url("/news/other"),
                "title": "Weather today",
                "seendate": "20261201T110000Z",
                "language": "English",
            },
        ]
    }


def test_gdelt_quotes_names_fetches_articles_and_advances_its_window(settings, tmp_path):
    with ProviderServer() as server:
        server.routes.update(
            {
                "/api/v2/doc/doc": lambda seen: gdelt_articles(server),
                "/news/1": ARTICLE,
                "/news/other": "<p>Sunny.</p>",
                "/news/gone": (500, b"down"),
            }
        )
        config = write_config(
            tmp_path / "monitor.toml",
            f'[search.gdelt]\nenabled = true\nurl = "{server.url("/api/v2/doc/doc")}"\nbudget_per_minute = 6000\n',
        )
        watchlist = sync(config)
        [summary] = run_searches(watchlist.search, everyone=True)
        [first] = server.to("/api/v2/doc/doc")
        query = first.query["query"][0]
        assert query == '("Vladimir Vorontsov" OR "Владимир Воронцов")'
        assert first.query["mode"] == ["artlist"] and first.query["format"] == ["json"]
        assert "Sekretova" not in server.log_text() and "Секретова" not in server.log_text()
        assert summary.error is None and summary.new == 2
        by_url = {m.url: m for m in rows(Mention)}
        assert "Воронцова" in by_url[server.url("/news/1")].text  # matched in the fetched article's text
        assert by_url[server.url("/news/gone")].text == ""  # its title names him: stored though the fetch failed
        assert server.url("/news/other") not in by_url
        run_searches(watchlist.search, everyone=True, now=utcnow() + timedelta(hours=1))
        second = server.to("/api/v2/doc/doc")[1]
        assert second.query["startdatetime"] == first.query["enddatetime"]
        assert len(rows(Mention)) == 2  # the same articles again: stored once


def test_a_url_two_providers_return_is_stored_once(settings, tmp_path):
    with ProviderServer() as server:
        status = {
            "id": "1001",
            "uri": "https://m.example/users/a/statuses/1001",
            "url": server.url("/news/1"),
            "created_at": "2026-12-01T10:00:00Z",
            "content": "<p>Владимир Воронцов #FreeVorontsov</p>",
            "account": {"acct": "a", "url": "https://m.example/@a"},
            "language": "ru",
        }
        server.routes.update(
            {
                "/api/v2/doc/doc": lambda seen: gdelt_articles(server),
                "/news/1": ARTICLE,
                "/api/v1/timelines/tag/FreeVorontsov": [status],
            }
        )
        config = write_config(
            tmp_path / "monitor.toml",
            (
                f'[search.gdelt]\nenabled = true\nurl = "{server.url("/api/v2/doc/doc")}"\nbudget_per_minute = 6000\n\n'
                f'[search.mastodon]\nenabled = true\ninstances = ["{server.url()}"]\nbudget_per_minute = 6000\n'
            ),
        )
        watchlist = sync(config)
        summaries = {s.name: s for s in run_searches(watchlist.search, everyone=True)}
        assert summaries["mastodon"].matched == 1
        stored = [m for m in rows(Mention) if m.url == server.url("/news/1")]
        assert len(stored) == 1
        sources = {s.id: s.url for s in rows(Source)}
        seen_by = {sources[s.source_id] for s in rows(Sighting, Sighting.mention_id == stored[0].id)}
        assert seen_by == {"search:gdelt", "search:mastodon"}
        assert "FreeSekretova" not in server.log_text()


def test_a_private_person_is_never_sent_to_any_provider(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_VK_TOKEN", "vk-token")
    monkeypatch.setenv("MONITOR_YOUTUBE_KEY", "yt-key")
    monkeypatch.setenv("MONITOR_BLUESKY_HANDLE", "desk.example")
    monkeypatch.setenv("MONITOR_BLUESKY_APP_PASSWORD", "app-password")
    from monitor.core.settings import get_settings

    get_settings.cache_clear()
    with ProviderServer() as server:
        server.routes.update(
            {
                "/gdelt": {},
                "/reddit": {"kind": "Listing", "data": {"after": None, "children": []}},
                "/xrpc/com.atproto.server.createSession": {
                    "accessJwt": "a",
                    "refreshJwt": "r",
                    "handle": "desk.example",
                    "did": "did:plc:x",
                },
                "/xrpc/app.bsky.feed.searchPosts": {"posts": []},
                "/api/v1/timelines/tag/FreeVorontsov": [],
                "/api/v1/timelines/tag/FreeSekretova": [],
                "/vk/newsfeed.search": {"response": {"count": 0, "items": []}},
                "/youtube": {"kind": "youtube#searchListResponse", "items": []},
            }
        )
        tables = "\n".join(
            f"[search.{name}]\nenabled = true\nbudget_per_minute = 6000\n{extra}\n"
            for name, extra in [
                ("gdelt", f'url = "{server.url("/gdelt")}"'),
                ("reddit", f'url = "{server.url("/reddit")}"'),
                ("bluesky", f'url = "{server.url()}"'),
                ("mastodon", f'instances = ["{server.url()}"]'),
                ("vk", f'url = "{server.url("/vk")}"'),
                ("youtube", f'url = "{server.url("/youtube")}"'),
            ]
        )
        watchlist = sync(write_config(tmp_path / "monitor.toml", tables))
        summaries = run_searches(watchlist.search, everyone=True)
        assert {s.name: s.error for s in summaries} == dict.fromkeys(
            ["gdelt", "reddit", "bluesky", "mastodon", "vk", "youtube"]
        )
        log = server.log_text()
        assert "Vorontsov" in log and "Воронцов" in log  # the others were searched, in both scripts
        for word in ("Sekretova", "Секретова", "Zoya", "Зоя"):
            assert word not in log
        [private] = rows(Person, Person.name == "Zoya Sekretova")
        assert private.private and not rows(SearchState, SearchState.person_id == private.id)


def test_search_logs_carry_no_name_and_no_query(settings, tmp_path, caplog, monkeypatch):
    import logging

    from monitor.core.logs import without_query

    monkeypatch.setenv("MONITOR_VK_TOKEN", "vk-secret-token")
    from monitor.core.settings import get_settings

    get_settings.cache_clear()
    with ProviderServer() as server:
        server.routes.update(
            {
                "/gdelt": lambda seen: gdelt_articles(server),
                "/news/1": ARTICLE,
                "/news/other": "x",
                "/vk/newsfeed.search": {"error": {"error_code": 29, "error_msg": "Rate limit reached"}},
            }
        )
        tables = (
            f'[search.gdelt]\nenabled = true\nbudget_per_minute = 6000\nurl = "{server.url("/gdelt")}"\n\n'
            f'[search.vk]\nenabled = true\nbudget_per_minute = 6000\nurl = "{server.url("/vk")}"\n'
        )
        watchlist = sync(write_config(tmp_path / "monitor.toml", tables))
        caplog.set_level(logging.DEBUG)
        summaries = run_searches(watchlist.search, everyone=True)
    assert {s.name: s.error for s in summaries}["vk"] == "VK API error 29"
    lines = [record.getMessage() + " " + str(record.__dict__) for record in caplog.records]
    ours = [line for record, line in zip(caplog.records, lines) if record.name.startswith(("monitor", "workers"))]
    assert ours, "the run logs its summary"
    everything = "\n".join(ours + [without_query(line) for line in lines])
    for secret in ("Vorontsov", "Воронцов", "Sekretova", "vk-secret-token"):
        assert secret not in everything
