"""Polling never stops because of one item or one source.

A bad item is skipped and counted, a source whose poll raises anything records that error
and backs off, the batch goes on. The hostile polls run in a subprocess under an
address-space cap (``resource.setrlimit``), so a regression that buffers without bound
fails the test instead of exhausting the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest
from sqlmodel import select

from monitor import sources
from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Mention, Source, utcnow
from monitor.core.storage import NewMention, sync_watchlist
from monitor.entry.polling import poll_all_once
from monitor.ingest.poll_writer import write_isolated
from monitor.ingest.poller import PollResult, _Outcome
from tests.fixtures import feeds
from tests.support import paths
from tests.support.feedserver import FeedServer, Route

MEMORY_CAP = 1024 * 1024 * 1024
REPO = paths.REPO
JSON_FEED = "application/feed+json"


def _capped():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _run_capped(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    # glibc reserves 64 MiB of address space per thread arena; two arenas keep the cap about
    # what is allocated, not about how many threads once ran.
    env = {**os.environ, "PYTHONPATH": str(REPO), "MALLOC_ARENA_MAX": "2"}
    return subprocess.run(
        [sys.executable, *args], env=env, preexec_fn=_capped, capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


def _rss_item(guid: str, title: str, date: str) -> str:
    return f"<item><title>{title}</title><link>http://news.example/{guid}</link><guid>{guid}</guid><pubDate>{date}</pubDate></item>"


def _triggers(server: FeedServer) -> dict[str, Route]:
    """The inputs the audit saw stop a batch, each beside a good item of the same feed."""
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        + _rss_item("rss-9999", "Vorontsov in year 9999", "9999-12-31T23:59:59-01:00")
        + _rss_item("rss-ok", "Vorontsov appeal", "Mon, 02 Mar 2026 10:00:00 GMT")
        + "</channel></rss>"
    )
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id>'
        "<updated>2026-01-01T00:00:00Z</updated><entry><title>Vorontsov on Feb 30</title><id>atom-0230</id>"
        '<link href="http://news.example/atom-0230"/><updated>2026-02-30T00:00:00Z</updated></entry></feed>'
    )
    jsonfeed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "items": [
            {"id": "json-42", "title": "Vorontsov with a number for HTML", "content_html": 42},
            {
                "id": "json-nul",
                "title": "Vorontsov\u0000 and a NUL",
                "content_text": "text\u0000with NUL",
                "author": {"name": "a\u0000b"},
            },
        ],
    }
    return {
        "/rss9999": Route(rss),
        "/atom0230": Route(atom, content_type="application/atom+xml"),
        "/json": Route(json.dumps(jsonfeed), content_type=JSON_FEED),
        "/redirect": Route(status=302, headers={"Location": "http://127.0.0.1:99999/"}),
        "/good": Route(feeds.rss(server.url(""))),
    }


def test_each_trigger_the_audit_found_costs_only_its_item_or_source(settings):
    with FeedServer() as server:
        server.routes.update(_triggers(server))
        settings.config.write_text(feeds.config([server.url(p) for p in server.routes]), encoding="utf-8")
        done = _run_capped(["-m", "monitor", "poll", "--once"], timeout=120)
    assert done.returncode == 0, done.stderr
    with db.session_scope() as session:
        by_path = {s.url.removeprefix(server.url("")): s for s in session.exec(select(Source))}
        stored = {m.guid: m for m in session.exec(select(Mention))}
    assert all(s.last_polled_at is not None for s in by_path.values()), "every source was polled"
    assert (
        "port out of range" in by_path["/redirect"].last_error.lower() and by_path["/redirect"].next_poll_at > utcnow()
    )
    assert all(by_path[p].last_error is None for p in ("/rss9999", "/atom0230", "/json", "/good"))
    assert {"rss-ok", "json-42", "json-nul"} <= set(stored), "the good items of a hostile feed are stored"
    assert stored["json-nul"].title == "Vorontsov and a NUL" and "\x00" not in stored["json-nul"].author
    # A date that cannot be read leaves the item without one (feedparser rolls Feb 30 over to Mar 2).
    assert stored["rss-9999"].published_at is None and "atom-0230" in stored
    assert len([m for m in stored.values() if m.source_id == by_path["/good"].id]) == feeds.MATCHING_POSTS


def test_generated_hostile_entries_through_every_adapter_and_the_writer_never_stop_the_poll(settings):
    done = _run_capped(["-m", "tests.support.hostile_poll_run", "--examples", "25"], timeout=900)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-6000:])
    assert "ok: 25 polls of 10 sources" in done.stdout


class _BrokenAdapter(sources.Adapter):
    """An adapter with a bug: its parse raises something no one planned for."""

    kind = "broken"

    def parse(self, body, headers, url):
        raise RuntimeError("adapter bug")


def test_a_source_whose_poll_raises_anything_records_it_and_backs_off_while_the_batch_goes_on(settings, monkeypatch):
    monkeypatch.setitem(sources.ADAPTERS, "broken", _BrokenAdapter)
    with FeedServer(
        {"/bug": Route(feeds.rss("http://x.example")), "/good": Route(feeds.rss("http://y.example"))}
    ) as server:
        settings.config.write_text(feeds.config([server.url("/bug"), server.url("/good")]), encoding="utf-8")
        with db.session_scope() as session:
            sync_watchlist(session, watchlist=load_watchlist(settings.config))
            session.exec(select(Source).where(Source.url == server.url("/bug"))).one().kind = "broken"
        results = {r.url.removeprefix(server.url("")): r for r in poll_all_once()}
    assert "RuntimeError: adapter bug" in results["/bug"].error
    assert results["/good"].error is None and results["/good"].new == feeds.MATCHING_POSTS
    with db.session_scope() as session:
        bug = session.exec(select(Source).where(Source.url == server.url("/bug"))).one()
    assert bug.consecutive_failures == 1 and "adapter bug" in bug.last_error and bug.next_poll_at > utcnow()


def _mention(guid: str, title: str) -> NewMention:
    return NewMention(
        guid=guid,
        url=None,
        canonical_url=None,
        title=title,
        text="",
        author=None,
        published_at=None,
        people={"Vladimir Vorontsov": "Vorontsov"},
    )


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_batch_postgresql_refuses_is_written_source_by_source_and_the_refused_one_records_it(settings):
    # NewMention makes text storable; this one is spoiled after that, as a future writer bug might.
    settings.config.write_text(feeds.config(["http://a.example/feed", "http://b.example/feed"]), encoding="utf-8")
    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(settings.config))
        ids = [s.id for s in session.exec(select(Source).order_by(Source.id))]
    spoiled = _mention("bad", "Vorontsov")
    spoiled.title = "Vorontsov\x00"
    good = _Outcome(PollResult(ids[0], "a"), mentions=[_mention("ok", "Vorontsov heard")])
    bad = _Outcome(PollResult(ids[1], "b"), mentions=[spoiled])
    write_isolated([good, bad], utcnow())
    with db.session_scope() as session:
        assert session.exec(select(Mention.guid)).all() == ["ok"]
        source = session.get(Source, ids[1])
        assert "could not store" in source.last_error and "DataError" in source.last_error
        assert session.get(Source, ids[0]).last_error is None
    assert good.result.new == 1 and bad.result.skipped == 1
