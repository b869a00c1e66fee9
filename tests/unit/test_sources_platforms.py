"""Platform adapters over loopback HTTP: Mastodon, Bluesky, Reddit, YouTube, Google News, Telegram."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from monitor.core.settings import get_settings
from monitor.ingest.fetch import FetchError, fetch
from monitor.sources import CredentialsRequired, ParseError, google_news_url, resolve_adapter
from monitor.sources.googlenews import split_title
from monitor.sources.reddit import user_agent
from tests.support.feedserver import FeedServer, Route
from tests.support.sources import fixture, poll

JSON = "application/json; charset=utf-8"
TAG_API = "/api/v1/timelines/tag/vorontsov"


def test_a_mastodon_boost_becomes_its_original_keyed_by_the_original_uri():
    with FeedServer({f"{TAG_API}?limit=40": Route(fixture("mastodon_tag.json"), content_type=JSON)}) as server:
        parsed, asked = poll(server, TAG_API)
    boost, local, _old = parsed.items
    assert asked.endswith("?limit=40")
    assert boost.guid == boost.platform_id == "https://origin.example.social/users/reporter/statuses/998877"
    assert boost.reposted_by == "booster@other.example.social" and boost.author == "reporter@origin.example.social"
    assert boost.text.startswith("Владимир Воронцов переведён") and boost.lang == "ru"
    assert local.reposted_by is None and local.title == "prison news"
    assert parsed.cursor == "113500000000000030"  # the newest id, not the lexically largest


def test_the_mastodon_cursor_is_sent_as_min_id_and_an_empty_page_keeps_it():
    path = f"{TAG_API}?limit=40&min_id=113500000000000030"
    with FeedServer({path: Route(b"[]", content_type=JSON)}) as server:
        parsed, asked = poll(server, TAG_API, cursor="113500000000000030")
        assert len(server.hits_for(path)) == 1
    assert asked.endswith("min_id=113500000000000030")
    assert parsed.items == [] and parsed.cursor is None


def test_a_mastodon_server_that_needs_a_login_gets_a_message_pointing_at_its_rss():
    with FeedServer(
        {
            f"{TAG_API}?limit=40": Route(
                b'{"error":"This API requires an authenticated user"}', status=401, content_type=JSON
            )
        }
    ) as server:
        adapter = resolve_adapter("auto", server.url(TAG_API))
        with pytest.raises(FetchError) as error:
            fetch(adapter.request(server.url(TAG_API), None).url)
        message = adapter.explain(error.value)
    assert f"use the RSS feed {server.url('/tags/vorontsov.rss')} instead" in message
    assert "\n" not in message


def test_mastodon_hashtag_rss_is_read_as_a_feed():
    with FeedServer({"/tags/vorontsov.rss": Route(fixture("mastodon_tag.rss"))}) as server:
        parsed, _ = poll(server, "/tags/vorontsov.rss")
    assert [(i.kind, i.guid) for i in parsed.items] == [
        ("mastodon", "https://example.social/@local/113500000000000025")
    ]
    assert parsed.items[0].text == "Letter from Anna Sokolova today."


def test_a_bluesky_author_feed_is_keyed_by_at_uri_and_marks_reposts():
    path = "/xrpc/app.bsky.feed.getAuthorFeed?actor=reporter.example.social&filter=posts_no_replies"
    with FeedServer({path: Route(fixture("bluesky_author_feed.json"), content_type=JSON)}) as server:
        parsed, _ = poll(server, path)
    own, repost = parsed.items
    assert own.guid == own.platform_id == "at://did:plc:fictionalauthor0000000001/app.bsky.feed.post/3lfictional01"
    assert own.url == "https://bsky.app/profile/reporter.example.social/post/3lfictional01" and own.lang == "ru"
    assert repost.author == "lawyer.example.social" and repost.reposted_by == "reporter.example.social"
    assert parsed.cursor is None


def test_the_bluesky_profile_rss_gives_the_same_key_as_the_api():
    with FeedServer({"/profile/did:plc:x/rss": Route(fixture("bluesky_profile.rss"))}) as server:
        parsed, _ = poll(server, "/profile/did:plc:x/rss", "bluesky")
    assert parsed.items[0].guid == "at://did:plc:fictionalauthor0000000001/app.bsky.feed.post/3lfictional01"


def test_bluesky_search_without_credentials_is_a_clear_error():
    with pytest.raises(CredentialsRequired, match="MONITOR_BLUESKY_APP_PASSWORD"):
        resolve_adapter("auto", "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=Vorontsov").request(
            "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=Vorontsov", None, get_settings()
        )


def test_bluesky_search_with_credentials_carries_a_login_and_advances_its_cursor():
    # The login itself runs in the poller's guarded client: tests/db/test_fetch_bluesky.py.
    settings = SimpleNamespace(
        bluesky_handle="me.example.social", bluesky_app_password="app-pass", bluesky_service=None
    )
    url = "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=Vorontsov"
    adapter = resolve_adapter("auto", url)
    request = adapter.request(url, "2026-05-05T07:00:00.000Z", settings)
    assert "since=2026-05-05T07%3A00%3A00.000Z" in request.url and "Authorization" not in request.headers
    assert request.auth.handle == "me.example.social" and request.auth.service == "https://bsky.social"
    parsed = adapter.parse(fixture("bluesky_search.json"), {"content-type": JSON}, request.url)
    assert len(parsed.items) == 2 and parsed.cursor == "2026-05-05T09:00:02.000Z"


def test_a_reddit_listing_is_keyed_by_name_and_sent_with_reddits_user_agent():
    with FeedServer({"/r/fictionalnews/new/.json": Route(fixture("reddit_listing.json"), content_type=JSON)}) as server:
        parsed, _ = poll(
            server, "/r/fictionalnews/new/.json", "reddit", settings=SimpleNamespace(reddit_username="desk_bot")
        )
        sent = server.hits[0].headers["User-Agent"]
    assert sent == "python:mention-monitor:0.1.0 (by /u/desk_bot)"
    (post,) = parsed.items
    assert post.guid == post.platform_id == "t3_1abcdf"
    assert post.title == "Anna Sokolova & her lawyers speak" and post.text == "Statement from the lawyers."
    assert post.url == "https://www.reddit.com/r/fictionalnews/comments/1abcdf/anna_sokolova_her_lawyers_speak/"


def test_a_reddit_search_feed_is_keyed_by_the_t3_name():
    with FeedServer(
        {
            "/search.rss?q=Vorontsov&sort=new": Route(
                fixture("reddit_search.xml"), content_type="application/atom+xml; charset=UTF-8"
            )
        }
    ) as server:
        parsed, _ = poll(server, "/search.rss?q=Vorontsov&sort=new", "reddit")
    assert [i.platform_id for i in parsed.items] == ["t3_1abcde"]
    assert user_agent().startswith("python:mention-monitor:")


def test_youtube_videos_are_keyed_by_video_id_with_the_description_as_text():
    with FeedServer(
        {
            "/feeds/videos.xml?channel_id=UCfictional0000000000001": Route(
                fixture("youtube.xml"), content_type="application/atom+xml; charset=UTF-8"
            )
        }
    ) as server:
        parsed, _ = poll(server, "/feeds/videos.xml?channel_id=UCfictional0000000000001", "youtube")
    first, second = parsed.items
    assert (first.guid, first.platform_id) == ("yt:video:AbCdEfGhIj1", "yt:video:AbCdEfGhIj1")
    assert "Vladimir Vorontsov" in first.text and second.text == "News of the week."


def test_google_news_titles_are_split_into_headline_and_outlet():
    with FeedServer({"/rss/search?q=x": Route(fixture("googlenews.xml"))}) as server:
        parsed, _ = poll(server, "/rss/search?q=x", "googlenews")
    assert [(i.title, i.author) for i in parsed.items] == [
        ("Воронцову отказали в апелляции", "Вестник Примера"),
        ("Court - appeal - hearing moved", "Daily Example"),
    ]
    assert parsed.items[0].url.startswith("https://news.google.com/rss/articles/")
    assert split_title("No outlet here", None) == ("No outlet here", None)


def test_the_google_news_url_quotes_every_alias_and_names_the_edition():
    url = google_news_url(["Владимир Воронцов", "Vorontsov"], "ru")
    assert url.startswith("https://news.google.com/rss/search?q=")
    assert "%22Vorontsov%22" in url and "when%3A1d" in url and url.endswith("&hl=ru&gl=RU&ceid=RU:ru")


def test_telegram_messages_are_keyed_by_data_post_and_forwards_keep_the_original():
    with FeedServer(
        {"/s/fictionalchan": Route(fixture("telegram_channel.html"), content_type="text/html; charset=utf-8")}
    ) as server:
        parsed, asked = poll(server, "/fictionalchan", "telegram")
    assert asked.endswith("/s/fictionalchan")
    first, forward = parsed.items  # the service message without text is skipped
    assert first.guid == first.platform_id == "fictionalchan/101" and first.url == "https://t.me/fictionalchan/101"
    assert first.text == "Владимир Воронцов переведён в другую колонию. Подробнее"
    assert first.published_at.isoformat() == "2026-05-05T09:10:00+00:00" and first.author == "Fictional Channel"
    assert forward.text == "Anna Sokolova: letter from prison"  # not the quoted reply
    assert (forward.guid, forward.platform_id) == ("fictionalchan/102", "sourcechan/55")
    assert (forward.author, forward.reposted_by) == ("Source Channel", "Fictional Channel")


def test_a_telegram_channel_without_previews_is_a_parse_error_saying_so():
    routes = {
        "/s/hiddenchan": Route(b"", status=302, headers={"Location": "/hiddenchan"}),
        "/hiddenchan": Route(fixture("telegram_no_preview.html"), content_type="text/html; charset=utf-8"),
    }
    with FeedServer(routes) as server, pytest.raises(ParseError, match="previews are disabled for this channel"):
        poll(server, "/s/hiddenchan", "telegram")
