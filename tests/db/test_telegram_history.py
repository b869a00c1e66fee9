"""Telegram history: the first poll pages back through ``?before=ID``; later polls read new posts.

A loopback stand-in for ``t.me/s/NAME`` serves a channel's posts 20 to a page, newest first,
with ``?before=ID`` answering the 20 posts older than ID (as t.me does), on both databases.
"""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core import settings as monitor_config
from monitor.core.config_file import load_watchlist
from monitor.core.models import Mention, Source
from monitor.core.storage.config_sync import sync_config
from monitor.entry.polling import poll_all_once
from monitor.ingest.telegram_history import extend, page_url, post_ids, stored_cursor
from monitor.sources.telegram import TelegramAdapter
from tests.fixtures import feeds
from tests.support.feedserver import FeedServer, Route

PAGE = 20
HTML = "text/html; charset=utf-8"


def _message(channel: str, post: int) -> str:
    return (
        f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="{channel}/{post}">'
        f'<div class="tgme_widget_message_text js-message_text">Vladimir Vorontsov, update number {post}</div>'
        f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{post}"><time datetime="2026-05-05T09:10:00+00:00">09:10</time></a>'
        "</div></div>"
    )


def _page(channel: str, posts: list[int]) -> str:
    body = "".join(_message(channel, p) for p in sorted(posts))  # t.me lists oldest first on a page
    return f'<html><body><section class="tgme_channel_history js-message_history">{body}</section></body></html>'


def serve_channel(server: FeedServer, channel: str, posts: list[int]) -> None:
    """Routes for ``/s/CHANNEL`` and every ``?before=ID`` page of ``posts``."""
    ordered = sorted(posts, reverse=True)
    server.routes[f"/s/{channel}"] = Route(_page(channel, ordered[:PAGE]), content_type=HTML)
    for before in range(1, max(posts) + 2):
        older = [p for p in ordered if p < before][:PAGE]
        server.routes[f"/s/{channel}?before={before}"] = Route(_page(channel, older), content_type=HTML)


def _sync(settings, url: str, extra: str = "") -> None:
    settings.config.write_text(
        feeds.CONFIG_PEOPLE + f'\n[[source]]\nurl = "{url}"\nkind = "telegram"\n{extra}', encoding="utf-8"
    )
    with db.session_scope() as session:
        sync_config(session, watchlist=load_watchlist(settings.config), allow_empty=True)


def _stored_posts() -> set[int]:
    with db.session_scope() as session:
        return {int(url.rsplit("/", 1)[1]) for url in session.exec(select(Mention.url))}


def _cursor(url: str) -> str | None:
    with db.session_scope() as session:
        return session.exec(select(Source.cursor).where(Source.url == url)).one()


def _paths(server: FeedServer) -> list[str]:
    return [hit.path for hit in server.hits]


def test_the_first_poll_pages_back_to_the_default_depth_of_100_posts_politely(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_HOST_MIN_GAP_SECONDS", "0.3")
    monitor_config.get_settings.cache_clear()
    with FeedServer() as server:
        serve_channel(server, "bigchan", list(range(1, 251)))
        _sync(settings, server.url("/s/bigchan"))
        results = poll_all_once()

    assert results[0].error is None and results[0].new == 100
    assert _paths(server) == ["/s/bigchan"] + [f"/s/bigchan?before={b}" for b in (231, 211, 191, 171)]
    # One page after another, spaced by the politeness gate: four gaps of 0.3 s at least, measured
    # over the whole run (a single gap, seen from the server, can shrink when the machine is busy).
    assert server.hits[-1].at - server.hits[0].at >= 0.9
    assert _stored_posts() == set(range(151, 251))
    assert _cursor(server.url("/s/bigchan")) == "250"


def test_paging_stops_at_the_configured_depth_cutting_the_last_page(settings):
    with FeedServer() as server:
        serve_channel(server, "deepchan", list(range(1, 251)))
        _sync(settings, server.url("/s/deepchan"), "history = 30\n")
        poll_all_once()

    assert _paths(server) == ["/s/deepchan", "/s/deepchan?before=231"]
    assert _stored_posts() == set(range(221, 251))


def test_paging_stops_at_the_channels_first_post(settings):
    with FeedServer() as server:
        serve_channel(server, "smallchan", list(range(1, 46)))
        _sync(settings, server.url("/s/smallchan"))
        poll_all_once()

    # 45..26, 25..6, 5..1: post 1 is the first, so nothing before it is asked for.
    assert _paths(server) == ["/s/smallchan", "/s/smallchan?before=26", "/s/smallchan?before=6"]
    assert _stored_posts() == set(range(1, 46))


def test_paging_stops_at_an_empty_page_when_the_first_posts_were_deleted(settings):
    with FeedServer() as server:
        serve_channel(server, "oldchan", list(range(10, 41)))
        _sync(settings, server.url("/s/oldchan"))
        results = poll_all_once()

    assert _paths(server) == ["/s/oldchan", "/s/oldchan?before=21", "/s/oldchan?before=10"]
    assert results[0].error is None and _stored_posts() == set(range(10, 41))


def test_later_polls_read_only_the_new_page_and_page_back_only_across_a_gap(settings):
    with FeedServer() as server:
        serve_channel(server, "livechan", list(range(1, 251)))
        url = server.url("/s/livechan")
        _sync(settings, url)
        poll_all_once()
        server.hits.clear()

        serve_channel(server, "livechan", list(range(1, 256)))  # 5 new posts: the newest page covers them
        second = poll_all_once()
        assert _paths(server) == ["/s/livechan"]
        assert second[0].new == 5 and _cursor(url) == "255"
        server.hits.clear()

        serve_channel(server, "livechan", list(range(1, 286)))  # 30 new: one older page closes the gap
        third = poll_all_once()
        assert _paths(server) == ["/s/livechan", "/s/livechan?before=266"]
        assert third[0].new == 30 and _cursor(url) == "285"

    assert _stored_posts() == set(range(151, 286))


def test_a_failing_older_page_keeps_the_posts_already_read(settings):
    with FeedServer() as server:
        serve_channel(server, "flakychan", list(range(1, 101)))
        server.routes["/s/flakychan?before=61"] = Route("busy", status=503, content_type="text/plain")
        _sync(settings, server.url("/s/flakychan"))
        results = poll_all_once()

    assert results[0].error is None
    assert _stored_posts() == set(range(61, 101))


def test_history_zero_reads_the_newest_page_alone(settings):
    with FeedServer() as server:
        serve_channel(server, "zerochan", list(range(1, 101)))
        _sync(settings, server.url("/s/zerochan"), "history = 0\n")
        poll_all_once()

    assert _paths(server) == ["/s/zerochan"]
    assert _stored_posts() == set(range(81, 101))


def test_the_page_helpers():
    assert page_url("https://t.me/s/chan", 120) == "https://t.me/s/chan?before=120"
    assert page_url("https://t.me/s/chan?before=9#x", 5) == "https://t.me/s/chan?before=5"
    assert post_ids(_page("c", [3, 1, 2]).encode()) == [1, 2, 3]
    assert post_ids(b"\x00not html") == []
    assert (stored_cursor("250"), stored_cursor(None), stored_cursor("abc"), stored_cursor("9" * 30)) == (
        250,
        None,
        None,
        None,
    )


# --- Property tests: the paging rule and the page reader, without a server -----------------------


def _read(first: int, last: int, depth: int, cursor: str | None) -> tuple[set[int], list[str], str | None]:
    """Run ``extend`` over an in-memory channel of posts first..last; (posts read, pages asked, cursor)."""
    posts = list(range(first, last + 1))
    ordered = sorted(posts, reverse=True)
    asked: list[str] = []
    adapter = TelegramAdapter()

    def body(before: int | None) -> bytes:
        return _page("chan", [p for p in ordered if before is None or p < before][:PAGE]).encode()

    async def fetch_page(url: str) -> bytes:
        asked.append(url)
        return body(int(url.rsplit("=", 1)[1]))

    def parse(data: bytes, url: str):
        return adapter.parse(data, {}, url)

    first_body = body(None)
    parsed = asyncio.run(
        extend(
            parse(first_body, "https://t.me/s/chan"),
            first_body,
            "https://t.me/s/chan",
            parse=parse,
            fetch_page=fetch_page,
            cursor=cursor,
            depth=depth,
        )
    )
    return {int(item.guid.split("/")[1]) for item in parsed.items}, asked, parsed.cursor


@hsettings(max_examples=150, deadline=None)
@given(st.integers(1, 50), st.integers(0, 400), st.integers(0, 300))
def test_a_first_poll_reads_the_newest_posts_up_to_the_depth_and_stops_at_the_first_post(first, extra, depth):
    last = first + extra
    read, asked, cursor = _read(first, last, depth, None)
    expected = min(last - first + 1, max(depth, PAGE))
    assert read == set(range(last - expected + 1, last + 1))
    assert cursor == str(last)
    assert "before=1" not in [url.rsplit("?", 1)[1] for url in asked]
    assert len(asked) <= depth // PAGE + 1


@hsettings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.integers(0, 200))
def test_a_later_poll_reads_back_to_the_cursor_and_no_further_than_a_page_past_it(seen, new):
    read, asked, cursor = _read(1, seen + new, 100, str(seen))
    newest = set(range(max(seen + 1, seen + new - 99), seen + new + 1))
    assert newest <= read  # every new post up to the depth
    assert cursor == str(seen + new)
    assert len(asked) <= (min(new, 100) + PAGE - 1) // PAGE


@hsettings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_list_of_post_ids(body):
    assert all(isinstance(i, int) and i >= 0 for i in post_ids(body))
