"""Reddit, Bluesky, Mastodon, VK and YouTube searches against a loopback server (both databases):
each cursor advances, throttling and refused credentials are recorded on the provider with a
backoff, and ``monitor search run --once`` prints a line per provider and exits 0 when one fails."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from monitor.core.models import Mention, Source, utcnow
from monitor.core.models_search import SearchProvider, SearchState
from monitor.core.settings import get_settings
from monitor.search.run import run_searches
from monitor.sources.search.vk import VERSION
from tests.support.search import ProviderServer, rows, sync, write_config

ONE_PERSON = [{"name": "Vladimir Vorontsov", "aliases": ["Владимир Воронцов"], "hashtags": ["#FreeVorontsov"]}]


def table(name: str, extra: str) -> str:
    return f"[search.{name}]\nenabled = true\nbudget_per_minute = 6000\n{extra}\n"


@pytest.fixture
def credentials(monkeypatch):
    for key, value in {
        "MONITOR_VK_TOKEN": "vk-token",
        "MONITOR_YOUTUBE_KEY": "yt-key",
        "MONITOR_BLUESKY_HANDLE": "desk.example",
        "MONITOR_BLUESKY_APP_PASSWORD": "app-password",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def later(hours: float = 1):
    return utcnow() + timedelta(hours=hours)


def test_reddit_searches_new_posts_and_asks_only_for_newer_ones_next_time(settings, tmp_path):
    listing = {
        "kind": "Listing",
        "data": {
            "after": "t3_b",
            "children": [
                {
                    "kind": "t3",
                    "data": {
                        "name": "t3_b",
                        "title": "Vladimir Vorontsov sentenced",
                        "selftext": "",
                        "permalink": "/r/x/comments/b/",
                        "created_utc": 1764590400,
                        "author": "u1",
                    },
                },
                {
                    "kind": "t3",
                    "data": {
                        "name": "t3_a",
                        "title": "Unrelated",
                        "selftext": "cats",
                        "permalink": "/r/x/comments/a/",
                        "created_utc": 1764580000,
                        "author": "u2",
                    },
                },
            ],
        },
    }
    with ProviderServer({"/search.json": listing}) as server:
        watchlist = sync(
            write_config(
                tmp_path / "monitor.toml", table("reddit", f'url = "{server.url("/search.json")}"'), ONE_PERSON
            )
        )
        created = datetime.fromtimestamp(1764590400, tz=timezone.utc)
        [summary] = run_searches(watchlist.search, everyone=True, now=created + timedelta(hours=1))
        run_searches(watchlist.search, everyone=True, now=created + timedelta(hours=2))
        run_searches(watchlist.search, everyone=True, now=created + timedelta(days=3))  # a stale anchor is dropped
        first, second, third = server.to("/search.json")
        assert first.query["q"] == ['"Vladimir Vorontsov" OR "Владимир Воронцов"'] and first.query["sort"] == ["new"]
        assert "before" not in first.query and second.query["before"] == ["t3_b"] and "before" not in third.query
        assert first.headers["User-Agent"].startswith("python:mention-monitor:")
        assert (summary.fetched, summary.matched, summary.new) == (2, 1, 1)
        assert [m.url for m in rows(Mention)] == ["https://www.reddit.com/r/x/comments/b/"]


def test_bluesky_searches_each_name_with_the_account_and_moves_since(settings, tmp_path, credentials):
    post = {
        "uri": "at://did:plc:a/app.bsky.feed.post/1",
        "cid": "c",
        "author": {"did": "did:plc:a", "handle": "a.bsky.social"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "Владимир Воронцов в суде",
            "createdAt": "2026-12-01T10:00:00Z",
        },
        "indexedAt": "2026-12-01T10:00:05Z",
    }
    with ProviderServer(
        {
            "/xrpc/com.atproto.server.createSession": {
                "accessJwt": "token-1",
                "refreshJwt": "r",
                "handle": "desk.example",
                "did": "did:plc:x",
            },
            "/xrpc/app.bsky.feed.searchPosts": {"posts": [post], "cursor": "1"},
        }
    ) as server:
        watchlist = sync(
            write_config(tmp_path / "monitor.toml", table("bluesky", f'url = "{server.url()}"'), ONE_PERSON)
        )
        [summary] = run_searches(watchlist.search, everyone=True)
        run_searches(watchlist.search, everyone=True, now=later())
        searches = server.to("/xrpc/app.bsky.feed.searchPosts")
        assert [s.query["q"][0] for s in searches[:2]] == ['"Vladimir Vorontsov"', '"Владимир Воронцов"']
        assert all(s.headers["Authorization"] == "Bearer token-1" for s in searches)
        assert "since" not in searches[0].query and searches[2].query["since"] == ["2026-12-01T10:00:05Z"]
        assert summary.new == 1 and len(rows(Mention)) == 1


def test_bluesky_without_an_account_is_an_error_on_the_provider_and_sends_nothing(settings, tmp_path):
    with ProviderServer() as server:
        watchlist = sync(
            write_config(tmp_path / "monitor.toml", table("bluesky", f'url = "{server.url()}"'), ONE_PERSON)
        )
        [summary] = run_searches(watchlist.search, everyone=True)
        assert "MONITOR_BLUESKY_APP_PASSWORD" in summary.error and server.seen == []
        [provider] = rows(SearchProvider)
        assert provider.last_error and provider.backoff_until is None  # nothing sent: checked again next run


def test_mastodon_reads_each_instances_tag_timeline_since_the_newest_id(settings, tmp_path):
    statuses = [
        {
            "id": "1002",
            "uri": "https://m.example/s/1002",
            "url": "https://m.example/@a/1002",
            "created_at": "2026-12-01T10:00:00Z",
            "content": "<p>#FreeVorontsov Воронцов</p>",
            "account": {"acct": "a"},
        },
        {
            "id": "1001",
            "uri": "https://m.example/s/1001",
            "url": "https://m.example/@a/1001",
            "created_at": "2026-12-01T09:00:00Z",
            "content": "<p>#FreeVorontsov</p>",
            "account": {"acct": "a"},
        },
    ]
    with (
        ProviderServer({"/api/v1/timelines/tag/FreeVorontsov": statuses}) as one,
        ProviderServer({"/api/v1/timelines/tag/FreeVorontsov": []}) as two,
    ):
        watchlist = sync(
            write_config(
                tmp_path / "monitor.toml", table("mastodon", f'instances = ["{one.url()}", "{two.url()}"]'), ONE_PERSON
            )
        )
        [summary] = run_searches(watchlist.search, everyone=True)
        run_searches(watchlist.search, everyone=True, now=later())
        first, second = one.to("/api/v1/timelines/tag/FreeVorontsov")
        assert "since_id" not in first.query and second.query["since_id"] == ["1002"]
        assert len(two.to("/api/v1/timelines/tag/FreeVorontsov")) == 2
        assert "Vorontsov" not in one.log_text().replace("FreeVorontsov", "")  # an instance learns only the hashtag
        assert summary.matched == 2


def vk_post(post_id: int, text: str, owner: int = -100, date: int = 1764590400) -> dict:
    return {"id": post_id, "owner_id": owner, "from_id": owner, "date": date, "text": text, "post_type": "post"}


def test_vk_searches_names_and_community_walls_with_a_pinned_version(settings, tmp_path, credentials):
    with ProviderServer(
        {
            "/method/newsfeed.search": {
                "response": {"count": 1, "items": [vk_post(7, "Владимир Воронцов этапирован")]}
            },
            "/method/wall.get": {
                "response": {
                    "count": 2,
                    "items": [
                        vk_post(12, "Владимиру Воронцову передали письма", owner=-12345),
                        vk_post(11, "Погода", owner=-12345),
                    ],
                }
            },
        }
    ) as server:
        extra = f'url = "{server.url("/method")}"\ncommunities = ["-12345"]'
        watchlist = sync(write_config(tmp_path / "monitor.toml", table("vk", extra), ONE_PERSON))
        [summary] = run_searches(watchlist.search, everyone=True)
        run_searches(watchlist.search, everyone=True, now=later())
        searches, walls = server.to("/method/newsfeed.search"), server.to("/method/wall.get")
        assert [s.query["q"][0] for s in searches[:2]] == ['"Vladimir Vorontsov"', '"Владимир Воронцов"']
        assert all(s.query["v"] == [VERSION] and s.query["access_token"] == ["vk-token"] for s in searches + walls)
        assert "start_time" not in searches[0].query and searches[3].query["start_time"] == ["1764590401"]
        assert walls[0].query["owner_id"] == ["-12345"] and "q" not in walls[0].query
        urls = sorted(m.url for m in rows(Mention))
        assert urls == ["https://vk.com/wall-100_7", "https://vk.com/wall-12345_12"]
        [wall] = rows(SearchState, SearchState.subject == "community:-12345")
        assert wall.cursor == '{"": "12"}' and summary.new == 2


@pytest.mark.parametrize("code", [6, 9, 29])
def test_vk_throttling_backs_the_provider_off(settings, tmp_path, credentials, code):
    error = {"error": {"error_code": code, "error_msg": "Too many requests per second", "request_params": []}}
    with ProviderServer({"/method/newsfeed.search": error}) as server:
        watchlist = sync(
            write_config(tmp_path / "monitor.toml", table("vk", f'url = "{server.url("/method")}"'), ONE_PERSON)
        )
        [summary] = run_searches(watchlist.search, everyone=True)
        assert summary.error == f"VK API error {code}" and len(server.seen) == 1  # the run stops at the first throttle
        [provider] = rows(SearchProvider)
        assert provider.backoff_until > utcnow() and provider.failures == 1
        [source] = rows(Source, Source.url == "search:vk")
        assert source.last_error == f"VK API error {code}"
        [again] = run_searches(watchlist.search, everyone=True, now=utcnow() + timedelta(minutes=1))
        assert again.error.startswith("paused until") and len(server.seen) == 1


def test_youtube_sends_its_key_in_a_header_and_moves_published_after(settings, tmp_path, credentials):
    video = {
        "kind": "youtube#searchResult",
        "id": {"kind": "youtube#video", "videoId": "abc123"},
        "snippet": {
            "publishedAt": "2026-12-01T10:00:00Z",
            "channelId": "UC1",
            "title": "Владимир Воронцов: приговор",
            "description": "",
            "channelTitle": "News",
        },
    }
    with ProviderServer({"/youtube/v3/search": {"kind": "youtube#searchListResponse", "items": [video]}}) as server:
        watchlist = sync(
            write_config(
                tmp_path / "monitor.toml", table("youtube", f'url = "{server.url("/youtube/v3/search")}"'), ONE_PERSON
            )
        )
        run_searches(watchlist.search, everyone=True)
        run_searches(watchlist.search, everyone=True, now=later())
        first, second = server.to("/youtube/v3/search")
        assert first.query["q"] == ['"Vladimir Vorontsov"|"Владимир Воронцов"'] and first.query["order"] == ["date"]
        assert first.headers["X-Goog-Api-Key"] == "yt-key" and "yt-key" not in first.line
        assert second.query["publishedAfter"] == ["2026-12-01T10:00:00Z"]
        assert [m.url for m in rows(Mention)] == ["https://www.youtube.com/watch?v=abc123"]


def test_refused_credentials_pause_the_provider_longer_than_throttling(settings, tmp_path, credentials):
    with ProviderServer(
        {
            "/yt": (403, {"error": {"code": 403, "errors": [{"reason": "quotaExceeded"}]}}),
            "/reddit": (429, b"slow down"),
        }
    ) as server:
        tables = (
            table("youtube", f'url = "{server.url("/yt")}"')
            + "\n"
            + table("reddit", f'url = "{server.url("/reddit")}"')
        )
        watchlist = sync(write_config(tmp_path / "monitor.toml", tables, ONE_PERSON))
        summaries = {s.name: s for s in run_searches(watchlist.search, everyone=True)}
        assert "HTTP 403" in summaries["youtube"].error and "HTTP 429" in summaries["reddit"].error
        pauses = {p.provider: p.backoff_until - utcnow() for p in rows(SearchProvider)}
        assert pauses["youtube"] > timedelta(hours=5) and timedelta(minutes=1) < pauses["reddit"] < timedelta(hours=1)


def test_search_run_once_prints_a_line_per_provider_and_exits_0_when_one_fails(settings, tmp_path):
    from monitor.entry.cli import app

    listing = {
        "kind": "Listing",
        "data": {
            "children": [
                {
                    "kind": "t3",
                    "data": {
                        "name": "t3_b",
                        "title": "Vladimir Vorontsov",
                        "permalink": "/r/x/comments/b/",
                        "created_utc": 1764590400,
                    },
                }
            ]
        },
    }
    with ProviderServer({"/search.json": listing}) as server:
        tables = table("reddit", f'url = "{server.url("/search.json")}"') + "\n" + table("youtube", "")
        write_config(tmp_path / "monitor.toml", tables, ONE_PERSON)
        result = CliRunner().invoke(app, ["search", "run", "--once", "--config", str(tmp_path / "monitor.toml")])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.strip().splitlines())
    assert lines["reddit"].startswith("1 searched, 1 results, 1 matched, 1 new")
    assert "MONITOR_YOUTUBE_KEY" in lines["youtube"]


def test_the_scheduled_run_searches_only_what_the_budget_allows(settings, tmp_path):
    people = ONE_PERSON + [{"name": "Ivan Petrov", "aliases": ["Иван Петров"]}]
    listing = {"kind": "Listing", "data": {"children": []}}
    with ProviderServer({"/search.json": listing}) as server:
        tables = f'[search.reddit]\nenabled = true\nbudget_per_minute = 0.1\nurl = "{server.url("/search.json")}"\n'
        watchlist = sync(write_config(tmp_path / "monitor.toml", tables, people))
        [first] = run_searches(watchlist.search)  # a tenth of a search a minute: ten minutes' worth at most
        [soon] = run_searches(watchlist.search, now=utcnow() + timedelta(seconds=30))
        [later_run] = run_searches(watchlist.search, now=utcnow() + timedelta(minutes=11))
        assert (first.searched, soon.searched, later_run.searched) == (1, 0, 1)
        assert len(server.seen) == 2 and {s.query["q"][0] for s in server.seen} == {
            '"Vladimir Vorontsov" OR "Владимир Воронцов"',
            '"Ivan Petrov" OR "Иван Петров"',
        }


def test_a_provider_whose_proxy_is_down_records_an_error_and_the_others_run(settings, tmp_path):
    listing = {"kind": "Listing", "data": {"children": []}}
    with ProviderServer({"/search.json": listing, "/gdelt": {}}) as server:
        tables = (
            table("reddit", f'url = "{server.url("/search.json")}"\nproxy = "none"')
            + "\n"
            + table("gdelt", f'url = "{server.url("/gdelt")}"\nproxy = "socks5://127.0.0.1:1"')
        )
        watchlist = sync(write_config(tmp_path / "monitor.toml", tables, ONE_PERSON))
        summaries = {s.name: s for s in run_searches(watchlist.search, everyone=True)}
    assert summaries["reddit"].error is None and summaries["reddit"].searched == 1
    assert summaries["gdelt"].error or summaries["gdelt"].failed == 1  # recorded, not raised
    assert not server.to("/gdelt")  # nothing went around the proxy
    [source] = rows(Source, Source.url == "search:gdelt")
    [state] = rows(SearchState, SearchState.provider == "gdelt") or [None]
    assert source.last_error or (state and state.last_error)


def test_the_beat_runs_the_search_task_which_searches_the_due_people(settings, tmp_path):
    from workers import tasks
    from workers.app import create_app as celery_app

    assert celery_app().conf.beat_schedule["run-searches"]["task"] == "workers.tasks.run_searches"
    listing = {
        "kind": "Listing",
        "data": {
            "children": [
                {
                    "kind": "t3",
                    "data": {
                        "name": "t3_b",
                        "title": "Vladimir Vorontsov",
                        "permalink": "/r/x/comments/b/",
                        "created_utc": 1764590400,
                    },
                }
            ]
        },
    }
    with ProviderServer({"/search.json": listing}) as server:
        write_config(settings.config, table("reddit", f'url = "{server.url("/search.json")}"'), ONE_PERSON)
        assert tasks.run_searches() == 1
        assert tasks.run_searches() == 0  # searched a moment ago: not due again yet
        assert len(server.seen) == 1
