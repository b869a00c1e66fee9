"""Pure parts of the search providers: every parser takes any bytes and either returns a page
or raises one ``SearchError`` (Hypothesis), well-formed responses give their items, query
builders quote phrases and never drop a name, and the ``[search.NAME]`` tables are strict."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core.config_file import ConfigError, parse_watchlist
from monitor.sources.search import bluesky, gdelt, mastodon, reddit, vk, youtube
from monitor.sources.search.base import (
    SearchError,
    SearchRequest,
    Target,
    cursors,
    dump_cursors,
    or_query,
    quoted,
)

PARSERS = [gdelt, reddit, bluesky, mastodon, vk, youtube]
NAME = st.text(st.characters(categories=("L", "Zs", "Pd", "Po")), min_size=1, max_size=40).filter(lambda s: s.strip())
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
@hsettings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=300) | JSONISH.map(lambda v: json.dumps(v).encode()))
def test_every_parser_returns_a_page_or_one_search_error(module, body):
    request = SearchRequest("https://x.example/method/wall.get?owner_id=-1" if module is vk else "https://x.example/s")
    try:
        page = module.parse(body, request)
    except SearchError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(page.items, list)


ITEM_FIELDS = {"url": st.text(max_size=30), "title": JSONISH, "id": JSONISH, "date": JSONISH, "owner_id": JSONISH}


@hsettings(max_examples=100, deadline=None)
@given(articles=st.lists(st.fixed_dictionaries({}, optional=ITEM_FIELDS), max_size=6))
def test_gdelt_keeps_only_articles_with_a_web_url(articles):
    page = gdelt.parse(
        json.dumps({"articles": articles}).encode(), SearchRequest("https://x.example", advance="20261201000000")
    )
    expected = [
        a for a in articles if isinstance(a.get("url"), str) and a["url"].strip().startswith(("http://", "https://"))
    ]
    assert [i.url for i in page.items] == [a["url"].strip() for a in expected]


@hsettings(max_examples=100, deadline=None)
@given(
    ids=st.lists(st.integers(min_value=1, max_value=10**9), max_size=8, unique=True),
    last=st.integers(min_value=0, max_value=10**9),
)
def test_a_vk_wall_keeps_only_posts_newer_than_its_cursor(ids, last):
    body = json.dumps(
        {"response": {"count": len(ids), "items": [{"id": i, "owner_id": -5, "date": 1, "text": "t"} for i in ids]}}
    )
    page = vk.parse(body.encode(), SearchRequest("https://x/method/wall.get?owner_id=-5", advance=str(last)))
    newer = [i for i in ids if i > last]
    assert sorted(i.url for i in page.items) == sorted(f"https://vk.com/wall-5_{i}" for i in newer)
    assert page.cursor == (str(max(newer)) if newer else None)


@hsettings(max_examples=200, deadline=None)
@given(names=st.lists(NAME, min_size=1, max_size=5))
def test_or_queries_quote_every_multiword_name_and_drop_none(names):
    query = or_query(tuple(names))
    for name in names:
        assert quoted(name) in query
        assert '"' not in quoted(name).strip('"')


@hsettings(max_examples=100, deadline=None)
@given(slots=st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=5))
def test_cursor_slots_round_trip(slots):
    assert cursors(dump_cursors(slots)) == slots


def test_cursor_slots_survive_a_bad_stored_value():
    assert cursors("not json") == {} and cursors("[1]") == {} and cursors(None) == {}


def test_gdelt_builds_one_window_from_the_last_search():
    target = Target("person:1", 1, ("Vladimir Vorontsov", "Владимир Воронцов"))
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    [request] = gdelt.requests(target, {"": "20261201110000"}, base_url="https://g.example/doc", now=now)
    assert "startdatetime=20261201110000" in request.url and "enddatetime=20261201120000" in request.url
    assert request.advance == "20261201120000"
    [late] = gdelt.requests(target, {"": "20250101000000"}, base_url="https://g.example/doc", now=now)
    assert "startdatetime=20260912120000" in late.url  # never before GDELT's rolling three months


def test_mastodon_sends_only_hashtags_never_names():
    target = Target("person:1", 1, ("Vladimir Vorontsov",), ("#FreeVorontsov", "freevorontsov", "#Воронцов"))
    urls = [r.url for r in mastodon.requests(target, {}, instances=["https://m.example"])]
    assert urls == [
        "https://m.example/api/v1/timelines/tag/FreeVorontsov?limit=40",
        "https://m.example/api/v1/timelines/tag/%D0%92%D0%BE%D1%80%D0%BE%D0%BD%D1%86%D0%BE%D0%B2?limit=40",
    ]


@pytest.mark.parametrize(
    "table, problem",
    [
        ({"gdelt": {"enabld": True}}, "search.gdelt: enabld: unknown key; did you mean 'enabled'?"),
        ({"google": {"enabled": True}}, "search.google: unknown search provider 'google'"),
        ({"gdelt": {"instances": ["m.example"]}}, "search.gdelt: instances: only [search.mastodon] takes this key"),
        ({"reddit": {"communities": ["-1"]}}, "search.reddit: communities: only [search.vk] takes this key"),
        ({"mastodon": {"enabled": True}}, "search.mastodon: instances: list the servers to search"),
        ({"vk": {"communities": ["durov"]}}, "search.vk: communities: bad community 'durov'"),
        ({"gdelt": {"url": "ftp://x"}}, "search.gdelt (ftp://x): url: bad URL 'ftp://x'"),
        ({"gdelt": {"proxy": "tor"}}, "search.gdelt: proxy: bad proxy 'tor'"),
        ({"youtube": {"budget_per_minute": 0}}, "search.youtube: budget_per_minute:"),
        ({"vk": {"token": "secret"}}, "search.vk: token: unknown key"),
    ],
)
def test_search_tables_are_strict_one_line_errors(table, problem):
    with pytest.raises(ConfigError) as caught:
        parse_watchlist({"search": table}, "monitor.toml")
    assert str(caught.value).startswith(f"monitor.toml: {problem}") and "\n" not in str(caught.value)


def test_providers_are_off_until_enabled_and_keep_their_keys():
    watchlist = parse_watchlist(
        {
            "search": {
                "gdelt": {},
                "mastodon": {"enabled": True, "instances": ["Mastodon.Social"], "proxy": "none"},
                "vk": {
                    "enabled": True,
                    "communities": ["-12345"],
                    "proxy": "socks5://127.0.0.1:9050",
                    "budget_per_minute": 30,
                },
            },
            "person": [{"name": "Vladimir Vorontsov", "private": True}],
        },
        "monitor.toml",
    )
    assert not watchlist.search["gdelt"].enabled and watchlist.people[0].private
    assert (
        watchlist.search["mastodon"].instances == ["https://mastodon.social"]
        and watchlist.search["mastodon"].proxy == "none"
    )
    assert watchlist.search["vk"].communities == ["-12345"] and watchlist.search["vk"].budget_per_minute == 30
