"""Feed discovery: loopback pages of each kind, platform rules, the bounds, and ``monitor sources add``."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core import settings as monitor_config
from monitor.core.config_append import append_source, toml_string
from monitor.core.config_file import ConfigError
from monitor.core.models import Source
from monitor.ingest.discovery.find import MAX_REQUESTS, DiscoveryError, discover
from monitor.sources.discovery_page import (
    MAX_LINKS,
    Found,
    feed_kind,
    feed_links,
    platform_feeds,
    profile_feed,
    youtube_channel_feeds,
)
from tests.fixtures import feeds
from tests.support.cli import monitor
from tests.support.feedserver import FeedServer, Route

HTML = "text/html; charset=utf-8"
CHANNEL = "UC" + "a1B2c3D4e5F6g7H8i9J0k_"  # 24 characters, as YouTube's channel ids
JSON_FEED = '{"version": "https://jsonfeed.org/version/1.1", "title": "Json News", "items": []}'


def _page(head: str, body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>Site</title>{head}</head><body>{body}</body></html>"


@pytest.fixture
def loopback(monkeypatch, tmp_path):
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    monitor_config.get_settings.cache_clear()
    yield
    monitor_config.get_settings.cache_clear()


def test_a_page_announcing_rss_atom_and_json_feed_offers_all_three_in_order(loopback):
    head = (
        '<link rel="alternate" type="application/rss+xml" title="News (RSS)" href="/news.rss">'
        '<link rel="Alternate" type="application/atom+xml; charset=utf-8" title="News (Atom)" href="atom.xml">'
        '<link rel="alternate" type="application/feed+json" href="https://elsewhere.example/feed.json">'
        '<link rel="stylesheet" type="text/css" href="/style.css">'
        '<link rel="alternate" hreflang="de" href="/de/">'
    )
    with FeedServer({"/blog/": Route(_page(head), content_type=HTML)}) as server:
        found = discover(server.url("/blog/"))

    assert found == [
        Found(server.url("/news.rss"), "News (RSS)", "rss", "link"),
        Found(server.url("/blog/atom.xml"), "News (Atom)", "atom", "link"),
        Found("https://elsewhere.example/feed.json", "JSONFEED", "jsonfeed", "link"),
    ]


def test_an_address_that_is_a_feed_is_offered_itself_with_its_title(loopback):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        server.routes["/feed.json"] = Route(JSON_FEED, content_type="application/feed+json")
        assert discover(server.url("/rss")) == [Found(server.url("/rss"), "Test News", "rss", "address")]
        assert discover(server.url("/feed.json")) == [
            Found(server.url("/feed.json"), "Json News", "jsonfeed", "address")
        ]


def test_a_page_without_links_is_tried_at_well_known_paths_within_the_request_budget(loopback):
    with FeedServer() as server:
        server.routes["/"] = Route(_page(""), content_type=HTML)
        server.routes["/atom.xml"] = Route(feeds.atom_reposts(server.url("")), content_type="application/atom+xml")
        server.routes["/index.xml"] = Route(_page("<p>not a feed</p>"), content_type=HTML)
        found = discover(server.url("/"))

    assert found == [Found(server.url("/atom.xml"), "Reposts", "atom", "path")]
    assert {"/feed", "/rss", "/atom.xml", "/index.xml"} <= {hit.path for hit in server.hits}
    assert len(server.hits) <= MAX_REQUESTS


def test_a_mastodon_profile_offers_its_rss_when_the_server_has_one(loopback):
    with FeedServer() as server:
        server.routes["/@alice"] = Route(_page(""), content_type=HTML)
        server.routes["/@alice.rss"] = Route(feeds.rss(server.url("")))
        server.routes["/@bob"] = Route(_page(""), content_type=HTML)
        alice = discover(server.url("/@alice"))
        bob = discover(server.url("/@bob"))  # no .rss and no well-known feed: nothing found

    assert alice == [Found(server.url("/@alice.rss"), "@alice", "mastodon", "platform")]
    assert bob == [] and server.hits_for("/@bob.rss")


def test_a_youtube_channel_page_gives_the_channels_videos_feed(loopback):
    canonical = _page(f'<link rel="canonical" href="https://www.youtube.com/channel/{CHANNEL}">')
    meta = _page(f'<meta itemprop="channelId" content="{CHANNEL}">')
    with FeedServer(
        {"/@somehandle": Route(canonical, content_type=HTML), "/c/other": Route(meta, content_type=HTML)}
    ) as server:
        by_canonical = discover(server.url("/@somehandle"))
        by_meta = discover(server.url("/c/other"))

    expected = Found(
        f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}",
        f"YouTube channel {CHANNEL}",
        "youtube",
        "platform",
    )
    assert by_canonical[0] == expected and by_meta == [expected]


@pytest.mark.parametrize(
    "address, feed, kind",
    [
        ("https://t.me/freedomchan", "https://t.me/s/freedomchan", "telegram"),
        ("t.me/s/freedomchan", "https://t.me/s/freedomchan", "telegram"),
        ("https://telegram.me/freedomchan/", "https://t.me/s/freedomchan", "telegram"),
        ("https://ivan-petrov.livejournal.com/", "https://ivan-petrov.livejournal.com/data/rss", "livejournal"),
        (
            "https://ivan-petrov.livejournal.com/123456.html",
            "https://ivan-petrov.livejournal.com/data/rss",
            "livejournal",
        ),
        (
            "https://www.livejournal.com/users/ivan_petrov/",
            "https://ivan-petrov.livejournal.com/data/rss",
            "livejournal",
        ),
        (
            f"https://www.youtube.com/channel/{CHANNEL}",
            f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}",
            "youtube",
        ),
    ],
)
def test_platform_addresses_name_their_feed_without_any_request(address, feed, kind, monkeypatch, tmp_path):
    # Private networks closed and no server anywhere: a request would fail, so none is made.
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path))
    monitor_config.get_settings.cache_clear()
    found = discover(address)
    assert [(f.url, f.kind, f.how) for f in found] == [(feed, kind, "platform")]


def test_the_guard_applies_to_discovery(monkeypatch, tmp_path):
    monkeypatch.setenv("MONITOR_ALLOW_PRIVATE_NETWORKS", "false")
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path))
    monitor_config.get_settings.cache_clear()
    with (
        FeedServer({"/": Route(_page(""), content_type=HTML)}) as server,
        pytest.raises(DiscoveryError, match="non-public"),
    ):
        discover(server.url("/"))
    assert server.hits == []
    with pytest.raises(DiscoveryError, match="not an http"):
        discover("ftp://example.org/")


def test_a_huge_page_stops_at_the_cap_and_a_page_of_many_links_is_cut(loopback):
    many = "".join(f'<link rel="alternate" type="application/rss+xml" href="/f{i}.xml">' for i in range(200))
    with FeedServer() as server:
        server.routes["/huge"] = Route(b"<html>" + b"x" * (3 * 1024 * 1024), content_type=HTML)
        server.routes["/many"] = Route(_page(many), content_type=HTML)
        with pytest.raises(DiscoveryError, match="too large"):
            discover(server.url("/huge"))
        assert len(discover(server.url("/many"))) == MAX_LINKS


def test_page_readers_on_odd_input():
    assert feed_links(b"", "https://a.example/") == []
    assert feed_links(b"\x00\xff<link", "https://a.example/") == []
    assert feed_links(
        b'<base href="https://cdn.example/x/"><link rel="alternate" type="application/rss+xml" href="f.xml">',
        "https://a.example/",
    ) == [Found("https://cdn.example/x/f.xml", "RSS", "rss", "link")]
    assert (
        feed_links(
            b'<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">', "https://a.example/"
        )
        == []
    )
    assert (
        youtube_channel_feeds(b'<link rel="canonical" href="https://evil.example/channel/' + CHANNEL.encode() + b'">')
        == []
    )
    assert profile_feed("https://medium.example/@writer/some-post") is None
    assert platform_feeds("https://t.me/ab") == [] and platform_feeds("http://[::1") == []
    assert feed_kind(b'<?xml version="1.0"?><rss version="2.0">') == "rss"
    assert feed_kind(b"<!DOCTYPE html><html><body>&lt;rss&gt;</body></html>") is None
    assert feed_kind(b'{"data": []}') is None


# --- Property tests of the HTML reader ------------------------------------------------------------

hrefs = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["/feed", "feed.xml", "//cdn.example/f", "https://x.example/a?b=c", "javascript:x", "data:,x", "mailto:a@b"]
    ),
)
links = st.lists(
    st.tuples(
        st.sampled_from(["alternate", "ALTERNATE", "alternate home", "stylesheet", "icon"]),
        st.sampled_from(
            ["application/rss+xml", "application/atom+xml", "application/feed+json", "text/css", "text/html", ""]
        ),
        hrefs,
        st.text(max_size=30),
    ),
    max_size=30,
)


@hsettings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_at_most_the_cap_of_absolute_http_links(body):
    found = feed_links(body, "https://site.example/page")
    assert len(found) <= MAX_LINKS
    assert all(f.url.startswith(("http://", "https://")) for f in found)
    youtube_channel_feeds(body)  # never raises either
    feed_kind(body)


@hsettings(max_examples=200, deadline=None)
@given(links)
def test_every_feed_typed_alternate_link_with_a_web_address_is_found(items):
    from html import escape

    head = "".join(
        f'<link rel="{rel}" type="{kind}" href="{escape(href)}" title="{escape(title)}">'
        for rel, kind, href, title in items
    )
    found = feed_links(_page(head).encode(), "https://site.example/dir/page")
    feed_types = ("application/rss+xml", "application/atom+xml", "application/feed+json")
    expected = [href for rel, kind, href, _ in items if "alternate" in rel.lower() and kind in feed_types]
    assert len(found) <= len(expected)
    assert all(f.url.startswith(("http://", "https://")) and "\n" not in f.title for f in found)
    if all(h in ("/feed", "feed.xml", "//cdn.example/f", "https://x.example/a?b=c") for h in expected):
        assert len(found) == len({f.url for f in found}) == min(len(set(expected)), MAX_LINKS)


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_a_toml_string_reads_back_as_the_same_text(text):
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


# --- The config file and the command ----------------------------------------------------------------

CONFIG = """# Our watch list: keep this comment
[[person]]
name = "Vladimir Vorontsov"   # the main case

[digest]
timezone = "Europe/Moscow"
"""


def test_appending_keeps_the_file_and_refuses_a_duplicate(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text(CONFIG, encoding="utf-8")
    watchlist = append_source(path, "https://news.example/feed", name='Quote " and \\ slash')
    text = path.read_text(encoding="utf-8")
    assert text.startswith(CONFIG)
    assert [s.name for s in watchlist.sources] == ['Quote " and \\ slash']
    with pytest.raises(ConfigError, match="already in the config"):
        append_source(path, "https://news.example/feed")
    assert path.read_text(encoding="utf-8") == text


def test_sources_add_yes_appends_the_first_feed_and_syncs_it(settings):
    settings.config.write_text(CONFIG, encoding="utf-8")
    head = (
        '<link rel="alternate" type="application/rss+xml" title="First" href="/one.rss">'
        '<link rel="alternate" type="application/atom+xml" title="Second" href="/two.atom">'
    )
    with FeedServer({"/": Route(_page(head), content_type=HTML)}) as server:
        done = monitor("sources", "add", server.url("/"), "--yes")

    assert done.returncode == 0, done.stderr
    assert "1. First" in done.stdout and "2. Second" in done.stdout
    text = settings.config.read_text(encoding="utf-8")
    assert text.startswith(CONFIG) and text.count("[[source]]") == 1 and server.url("/one.rss") in text
    with db.session_scope() as session:
        assert session.exec(select(Source.url).where(Source.enabled == True)).all() == [server.url("/one.rss")]


def test_sources_add_asks_which_feed_when_there_are_several(settings):
    settings.config.write_text(CONFIG, encoding="utf-8")
    head = (
        '<link rel="alternate" type="application/rss+xml" title="First" href="/one.rss">'
        '<link rel="alternate" type="application/atom+xml" title="Second\x1b[31m" href="/two.atom">'
    )
    with FeedServer({"/": Route(_page(head), content_type=HTML)}) as server:
        done = monitor("sources", "add", server.url("/"), input="2\n")

    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout  # a feed's title cannot drive the terminal
    assert server.url("/two.atom") in settings.config.read_text(encoding="utf-8")
    assert server.url("/one.rss") not in settings.config.read_text(encoding="utf-8")


def test_sources_add_with_nothing_found_is_one_line_and_writes_nothing(settings):
    settings.config.write_text(CONFIG, encoding="utf-8")
    with FeedServer({"/": Route(_page(""), content_type=HTML)}) as server:
        done = monitor("sources", "add", server.url("/"), "--yes")

    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: no feed found at") and done.stderr.count("\n") == 1
    assert settings.config.read_text(encoding="utf-8") == CONFIG
