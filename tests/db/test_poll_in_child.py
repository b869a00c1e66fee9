"""``monitor poll --once`` parses and matches in a child process (issue 15): the same stored
result as parsing in the poll's own process, and a child that dies or hangs costs only the
source it was reading."""

from __future__ import annotations

import json
import multiprocessing

import pytest
from sqlmodel import select

from monitor import sources
from monitor.core import db
from monitor.core.models import Mention, MentionPerson, Person, Source, utcnow
from monitor.core.models_evidence import Capture
from monitor.core.settings import get_settings
from monitor.entry.polling import parse_in_child, poll_all_once
from monitor.ingest import parse_process
from monitor.ingest.parse_process import ParseProcess
from tests.fixtures import feeds
from tests.support import stack
from tests.support.dying_adapter import DyingAdapter, HangingAdapter
from tests.support.feedserver import FeedServer, Route
from tests.support.sources import _sync

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "t",
    "items": [
        {"id": "json-42", "title": "Vorontsov with a number for HTML", "content_html": 42},
        {"id": "json-nul", "title": "Vorontsov\u0000 and a NUL", "content_text": "text\u0000", "author": {"name": "a"}},
        {"title": "no id, no url: unreadable"},
    ],
}


# Other links than the RSS feed's: a post two feeds share is stored by whichever is written first.
OTHER_POSTS = [(f"b{key}", title, text) for key, title, text in feeds.POSTS]


def _routes(server: FeedServer) -> dict[str, Route]:
    return {
        "/rss": Route(feeds.rss(server.url("")), etag='"v1"'),
        "/atom": Route(feeds.atom_reposts(server.url(""), OTHER_POSTS), content_type="application/atom+xml"),
        "/json": Route(json.dumps(JSON_FEED), content_type="application/feed+json"),
        "/broken": Route("<rss><channel><item><title>Vorontsov"),
        "/notjson": Route("{not json", content_type="application/feed+json"),
        "/gone": Route(status=404),
    }


def _use_second_database(request, monkeypatch, tmp_path) -> None:
    """Point the settings at a second fresh database of the same kind, and a second data folder."""
    if "sqlite" in get_settings().database_url:
        url = request.getfixturevalue("sqlite_template").copy_to(tmp_path / "db2" / "monitor.db")
    else:
        pool = request.getfixturevalue("pg_pool")
        url = pool.take()
        request.addfinalizer(lambda: (db.get_engine(url).dispose(), pool.give_back(url)))
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data2"))
    get_settings.cache_clear()


def _stored() -> dict:
    """Everything a poll decides, by content (no ids, no clock times: a WARC record's size has its time)."""
    with db.session_scope() as session:
        urls = {s.id: s.url for s in session.exec(select(Source))}
        people: dict[int, set[str]] = {}
        named = select(MentionPerson.mention_id, Person.name).join(Person, Person.id == MentionPerson.person_id)
        for mention_id, name in session.exec(named):
            people.setdefault(mention_id, set()).add(name)
        fields = ("guid", "url", "canonical_url", "title", "text", "author", "published_at", "language", "identity")
        mentions = sorted(
            (urls[m.source_id], *(getattr(m, f) for f in fields), sorted(people[m.id]))
            for m in session.exec(select(Mention))
        )
        guids = dict(session.exec(select(Mention.id, Mention.guid)).all())
        clusters: dict[int, set[str]] = {}
        for cluster, guid in session.exec(select(Mention.cluster_id, Mention.guid)):
            clusters.setdefault(cluster, set()).add(guid)
        captures = sorted(
            (c.url, c.kind, c.status, c.method, c.payload_sha256, c.item_sha256, guids.get(c.mention_id))
            for c in session.exec(select(Capture))
        )
        rows = sorted(
            (s.url, s.detected_kind, s.cursor, s.body_hash, s.etag, s.last_error, s.consecutive_failures)
            for s in session.exec(select(Source))
        )
    partition = sorted(sorted(guids) for guids in clusters.values())
    return {"mentions": mentions, "captures": captures, "sources": rows, "clusters": partition}


def _counts(results) -> list[tuple]:
    return sorted((r.url, r.fetched, r.new + r.duplicate, r.unmatched, r.skipped, r.error) for r in results)


def test_parsing_in_a_child_stores_what_parsing_here_stores(settings, request, monkeypatch, tmp_path):
    reads = []
    read = parse_process.ParseProcess.read

    async def counted(self, *args):
        reads.append(args[-2])
        return await read(self, *args)

    with FeedServer() as server:
        server.routes.update(_routes(server))
        text = feeds.config([server.url(p) for p in server.routes])
        _sync(settings, text)
        here = poll_all_once()
        stored_here = _stored()
        _use_second_database(request, monkeypatch, tmp_path)
        _sync(get_settings(), text)
        monkeypatch.setattr(parse_process.ParseProcess, "read", counted)
        children = parse_in_child()
        assert children._child is not None  # sources never polled: started before the first body
        in_child = poll_all_once(children=children)
        assert parse_in_child()._child is None  # all polled now: it would start with a changed body
    assert sorted(reads) == sorted(server.url(p) for p in ("/rss", "/atom", "/json", "/broken", "/notjson"))
    assert _counts(in_child) == _counts(here)
    assert sum(r.new for r in in_child) == sum(r.new for r in here) == len(stored_here["mentions"]) > 3
    assert _stored() == stored_here
    errors = {r.url.rsplit("/", 1)[1]: r.error for r in in_child if r.error}
    assert errors.keys() == {"gone", "notjson"} and "not a JSON Feed" in errors["notjson"], errors


def _with_one_breaking_source(settings, adapter: type[sources.Adapter], monkeypatch) -> dict:
    monkeypatch.setitem(sources.ADAPTERS, adapter.kind, adapter)
    with FeedServer() as server:
        paths = ["/a", "/b", "/bad", "/c", "/d"]
        for n, path in enumerate(paths):
            server.routes[path] = Route(feeds.rss(f"http://site{n}.example"))
        _sync(settings, feeds.config([server.url(p) for p in paths]))
        with db.session_scope() as session:
            session.exec(select(Source).where(Source.url == server.url("/bad"))).one().kind = adapter.kind
        children = ParseProcess(get_settings().database_url)
        results = {r.url.removeprefix(server.url("")): r for r in poll_all_once(children=children)}
    with db.session_scope() as session:
        bad = session.exec(select(Source).where(Source.url == server.url("/bad"))).one()
        assert bad.consecutive_failures == 1 and bad.next_poll_at > utcnow()
        assert "parsing process ended" in bad.last_error
    assert all(results[p].error is None and results[p].fetched == 5 for p in paths if p != "/bad")
    assert sum(results[p].new for p in paths) == 4 * feeds.MATCHING_POSTS
    return results


def test_a_child_that_dies_costs_only_the_source_it_was_reading(settings, monkeypatch):
    results = _with_one_breaking_source(settings, DyingAdapter, monkeypatch)
    assert "ChildFailed" in results["/bad"].error


def test_a_child_that_hangs_is_killed_and_costs_only_the_source_it_was_reading(settings, monkeypatch):
    monkeypatch.setattr(parse_process, "PARSE_TIMEOUT", 3.0)
    results = _with_one_breaking_source(settings, HangingAdapter, monkeypatch)
    assert "ChildFailed" in results["/bad"].error


def _report(queue) -> None:
    queue.put(parse_process.allowed())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_daemonic_process_such_as_a_celery_worker_parses_in_itself(settings):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_report, args=(queue,), daemon=True)
    worker.start()
    assert queue.get(timeout=60) is False and parse_process.allowed() is True
    worker.join(10)


def test_a_child_started_for_a_command_that_then_fails_is_stopped(settings):
    children = ParseProcess(get_settings().database_url)
    children.start()
    processes = children._child.processes
    assert len(processes) == 1 and processes[0].is_alive()
    children.abandon()
    # The pool's own thread reaps the process too: its exit code shows once that thread has read
    # it (read at the wrong moment, it is None while the process is already gone).
    stack.wait_for(lambda: processes[0].exitcode is not None, timeout=30, what="the child to end")
    assert processes[0].exitcode != 0  # killed, not left to finish its start
