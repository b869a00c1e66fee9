"""Generic feeds: the adapter registry, RSS/Atom/RDF (fast path and feedparser), JSON Feed, charsets."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from monitor import sources
from monitor.ingest.fetch import fetch
from monitor.sources import rss, rss_fast
from monitor.sources.feed import FeedAdapter
from monitor.sources.mastodon import MastodonAdapter
from monitor.sources.telegram import TelegramAdapter
from tests.support.feedserver import FeedServer, Route
from tests.support.sources import FIXTURES, fixture, poll

UTF8 = {"content-type": "application/rss+xml; charset=utf-8"}
FEED_FIXTURES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".xml", ".rss"))
PLAIN_FIXTURES = [name for name in FEED_FIXTURES if not name.startswith("odd_")]


def test_auto_picks_the_platform_adapter_from_the_url_and_a_generic_feed_otherwise():
    assert isinstance(sources.resolve_adapter("auto", "https://example.social/tags/vorontsov.rss"), MastodonAdapter)
    assert isinstance(sources.resolve_adapter("auto", "https://t.me/s/somechannel"), TelegramAdapter)
    assert isinstance(sources.resolve_adapter("auto", "https://news.example.org/feed.xml"), FeedAdapter)
    assert sources.detect_kind("https://www.youtube.com/feeds/videos.xml?channel_id=UCabc") == "youtube"
    assert sources.detect_kind("https://news.google.com/rss/search?q=x") == "googlenews"


def test_a_configured_kind_wins_over_the_url_and_an_unknown_kind_is_a_parse_error():
    assert isinstance(sources.resolve_adapter("telegram", "http://127.0.0.1:1/s/chan"), TelegramAdapter)
    with pytest.raises(sources.ParseError, match="unknown source kind 'gopher'"):
        sources.resolve_adapter("gopher", "https://example.org/")


def test_every_watchlist_kind_has_an_adapter():
    from monitor.core.config_file import SOURCE_KINDS

    assert set(SOURCE_KINDS) == set(sources.ADAPTERS)
    assert {"rss", "jsonfeed", "mastodon", "bluesky", "reddit", "youtube", "googlenews", "telegram"} <= set(
        SOURCE_KINDS
    )


@pytest.mark.parametrize("name", FEED_FIXTURES)
def test_the_fast_path_reads_every_fixture_exactly_as_feedparser_does(name):
    body = fixture(name)
    fast = rss.read_feed(body, UTF8, fast=True)
    slow = rss.read_feed(body, UTF8, fast=False)
    assert not slow.fast
    # Raw HTML may differ (feedparser sanitises it); what the monitor stores must not.
    assert [rss.to_item(e) for e in fast.entries] == [rss.to_item(e) for e in slow.entries]
    assert [e.extra for e in fast.entries] == [e.extra for e in slow.entries]
    assert fast.lang == slow.lang
    assert rss.parse(body, UTF8, "u", fast=True) == rss.parse(body, UTF8, "u", fast=False)


@pytest.mark.parametrize("name", PLAIN_FIXTURES)
def test_the_fast_path_takes_plain_feeds_itself(name):
    assert rss.read_feed(fixture(name), UTF8).fast


@pytest.mark.parametrize("name", ["odd_rss091.xml", "odd_broken.xml"])
def test_odd_feeds_fall_back_to_feedparser_and_still_give_items(name):
    with pytest.raises(rss_fast.Unsupported):
        rss_fast.parse_entries(fixture(name), UTF8)
    feed = rss.read_feed(fixture(name), UTF8)
    assert not feed.fast and len(feed.entries) == 1


def test_an_rss_feed_over_http_gives_normalised_items():
    with FeedServer({"/feed.xml": Route(fixture("rss2.xml"))}) as server:
        parsed, _ = poll(server, "/feed.xml")
    first, second, _weather, hashed = parsed.items
    assert first.guid == first.platform_id == "news-example-1001"
    assert first.title == "Владимир Воронцов: приговор & апелляция"
    assert first.text == "Суд рассмотрел апелляцию Владимира Воронцова."  # script dropped
    assert first.published_at == datetime(2026, 5, 5, 6, 15, tzinfo=timezone.utc)
    assert first.lang == "ru" and first.kind == "rss" and first.author == "Мария Иванова"
    assert second.url == second.guid == "https://news.example.org/2026/05/sokolova-letter"
    assert second.text.startswith("A long letter")  # content:encoded before description
    assert hashed.guid.startswith("sha256:") and hashed.platform_id is None
    assert parsed.cursor is None


def test_atom_and_rdf_feeds_give_ids_links_and_dates():
    atom = rss.parse(fixture("atom.xml"), UTF8, "u")
    assert atom[0].title == "Vorontsov & the court <update>"
    assert atom[0].url == "https://rights.example.org/posts/17"
    assert atom[0].published_at == datetime(2026, 5, 5, 6, 30, 15, tzinfo=timezone.utc)
    assert atom[0].author == "Rights Desk (desk@rights.example.org)"
    rdf = rss.parse(fixture("rdf.xml"), UTF8, "u")
    assert [i.guid for i in rdf] == ["https://old.example.org/items/1", "https://old.example.org/items/2"]
    assert rdf[0].published_at == datetime(2026, 5, 3, 8, 0, tzinfo=timezone.utc)


CYRILLIC_FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента</title>'
    "<item><title>Воронцов: новости</title><guid>https://ru.example.org/1</guid>"
    "<description>Приговор Владимиру Воронцову</description></item></channel></rss>"
)


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
@pytest.mark.parametrize("fast", [True, False])
def test_the_http_charset_wins_over_a_wrong_xml_prolog(charset, fast):
    body = CYRILLIC_FEED.encode(charset)  # the prolog still claims utf-8
    with FeedServer({"/ru.xml": Route(body, content_type=f"application/rss+xml; charset={charset}")}) as server:
        response = fetch(server.url("/ru.xml"))
    items = rss.parse(response.body, response.headers, response.url, fast=fast)
    assert [(i.title, i.text) for i in items] == [("Воронцов: новости", "Приговор Владимиру Воронцову")]


def test_a_cp1251_feed_that_declares_itself_is_read_without_a_header_charset():
    body = CYRILLIC_FEED.replace('encoding="utf-8"', 'encoding="windows-1251"').encode("cp1251")
    headers = {"content-type": "application/rss+xml"}
    assert rss.read_feed(body, headers).fast
    assert rss.parse(body, headers, "u")[0].title == "Воронцов: новости"


def test_a_body_that_is_no_feed_is_a_one_line_parse_error():
    with pytest.raises(sources.ParseError) as error:
        sources.parse("auto", b"<html><body>hello</body></html>", {"content-type": "text/html; charset=utf-8"}, "u")
    assert "\n" not in str(error.value) and "not an RSS/Atom feed" in str(error.value)


def test_json_feed_1_0_author_and_1_1_authors_are_read_and_items_without_id_dropped():
    with FeedServer(
        {
            "/1.0.json": Route(fixture("jsonfeed_1_0.json"), content_type="application/json"),
            "/1.1.json": Route(fixture("jsonfeed_1_1.json"), content_type="application/feed+json"),
        }
    ) as server:
        old, _ = poll(server, "/1.0.json")
        new, _ = poll(server, "/1.1.json", "jsonfeed")
    assert [(i.guid, i.author, i.text) for i in old.items] == [
        ("p1", "Old Style Author", "Vladimir Vorontsov wrote again.")
    ]
    assert old.items[0].published_at == datetime(2026, 5, 5, 6, 0, tzinfo=timezone.utc)
    assert [(i.guid, i.author, i.lang) for i in new.items] == [
        ("42", "New Style Author", "ru"),
        ("43", "Feed Author", "en"),
    ]
    assert all(i.kind == "jsonfeed" and i.platform_id == i.guid for i in old.items + new.items)


def test_the_old_parse_entry_point_still_returns_items():
    items = sources.parse("auto", fixture("rss2.xml"), UTF8, "https://news.example.org/feed.xml")
    assert len(items) == 4 and isinstance(items[0], sources.Item)
    assert sources.parse("rss", fixture("atom.xml"), UTF8, "u")[0].guid == "tag:rights.example.org,2026:post-17"
