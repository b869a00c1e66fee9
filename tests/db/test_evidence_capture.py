"""Poll captures: each changed response kept as WARC records in the content-addressed store."""

from __future__ import annotations

import hashlib
import stat
from datetime import timedelta

from sqlmodel import select

from monitor.core import blob_store as store
from monitor.core import db
from monitor.core.blobs import blob_path
from monitor.core.models import utcnow
from monitor.core.models_evidence import Capture
from monitor.core.storage.captures import item_sha256
from monitor.entry.polling import poll_all_once
from monitor.evidence.retention import prune_unmatched
from tests.fixtures import feeds
from tests.support.evidence import captures, mentions, preservations, sync, warc_records
from tests.support.feedserver import FeedServer, Route


def test_each_new_mention_links_to_a_warc_record_of_the_response_whose_hash_matches(settings):
    with FeedServer() as server:
        body = feeds.rss(server.url("")).encode()
        server.routes["/rss"] = Route(body)
        sync(settings, [server.url("/rss")])
        poll_all_once()

    stored = mentions()
    linked = captures(Capture.mention_id != None)
    assert sorted(c.mention_id for c in linked) == sorted(m.id for m in stored) and len(stored) == 3
    capture = linked[0]
    blob = blob_path(settings, capture.sha256).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == capture.sha256 == linked[1].sha256  # one record for the response
    [(kind, warc, status, _http, payload)] = warc_records(blob)
    assert (kind, status, payload) == ("response", "200 OK", body)
    assert warc["WARC-Target-URI"] == server.url("/rss") == capture.url
    assert capture.method == "monitor 0.1.0 rss" and capture.status == 200 and capture.transform == ""
    assert capture.captured_at.utcoffset() == timedelta(0)
    [(kind, _, line, sent, _)] = warc_records(blob_path(settings, capture.request_sha256).read_bytes())
    assert kind == "request" and line.startswith("GET /rss") and "User-Agent" in {k.title() for k in sent}


def test_each_capture_carries_the_hash_of_its_own_item_as_canonical_json(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        sync(settings, [server.url("/rss")])
        poll_all_once()

    by_mention = {c.mention_id: c for c in captures(Capture.mention_id != None)}
    hashes = {c.item_sha256 for c in by_mention.values()}
    assert len(hashes) == 3 and all(len(h) == 64 for h in hashes)
    for mention in mentions():
        item = {
            "guid": mention.guid,
            "url": mention.url,
            "title": mention.title,
            "text": mention.text,
            "author": mention.author,
            "published_at": mention.published_at,
            "identity": mention.identity,
            "language": mention.language,
        }
        assert by_mention[mention.id].item_sha256 == item_sha256(item)


def test_credentials_are_replaced_in_the_request_record_and_the_capture_names_it(settings):
    with FeedServer() as server:
        server.routes["/rss?api_key=s3cr3t-key&lang=en"] = Route(
            feeds.rss(server.url("")), headers={"Set-Cookie": "session=s3cr3t-cookie"}
        )
        sync(settings, [server.url("/rss?api_key=s3cr3t-key&lang=en")])
        poll_all_once()

    capture = captures(Capture.mention_id != None)[0]
    request = blob_path(settings, capture.request_sha256).read_bytes()
    response = blob_path(settings, capture.sha256).read_bytes()
    for blob in (request, response):
        [(_, warc, _, http, _)] = warc_records(blob)
        assert b"s3cr3t" not in b"".join(str(v).encode() for v in [*warc.values(), *http.values()])
        assert "query api_key" in warc["Monitor-Transformation"]
    assert "lang=en" in capture.url and "s3cr3t" not in capture.url
    assert capture.transform == "header Set-Cookie; query api_key"


def test_the_store_is_private_and_an_unmatched_response_goes_after_the_retention(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        server.routes["/nobody"] = Route(feeds.rss(server.url(""), posts=[feeds.POSTS[2]]))
        sync(settings, [server.url("/rss"), server.url("/nobody")])
        poll_all_once()

    [unmatched] = captures(Capture.mention_id == None)
    path = blob_path(settings, unmatched.sha256)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with db.session_scope() as session:
        assert prune_unmatched(session, settings=settings, now=utcnow() + timedelta(days=6)) == 0
        assert prune_unmatched(session, settings=settings, now=utcnow() + timedelta(days=8)) == 1
    assert not path.exists() and captures(Capture.mention_id == None) == []
    assert all(blob_path(settings, c.sha256).exists() for c in captures())


def test_mentions_of_a_preserved_person_are_queued_for_their_page_and_rechecks(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        sync(settings, [server.url("/rss")])
        poll_all_once()

    vorontsov = {m.id for m in mentions() if "Vorontsov" in m.title or "Воронцов" in m.title}
    assert {p.mention_id for p in preservations()} == vorontsov and vorontsov
    assert {p.state for p in preservations()} == {"pending"}


def test_capture_off_stores_nothing(settings, monkeypatch):
    monkeypatch.setattr(settings, "evidence_capture", False)
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        sync(settings, [server.url("/rss")])
        poll_all_once()
    assert len(mentions()) == 3 and captures() == [] and len(preservations()) == 2


def test_a_store_that_cannot_be_written_costs_the_capture_not_the_mentions(settings, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store should be")
    monkeypatch.setattr(settings, "evidence_dir_path", blocker)
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        sync(settings, [server.url("/rss")])
        [result] = poll_all_once()
    assert (result.new, result.error) == (3, None) and len(mentions()) == 3
    assert captures() == [] and len(preservations()) == 2  # still queued for their page and re-checks


def test_an_identical_body_read_again_is_kept_as_a_revisit_record_not_a_second_copy(settings):
    from monitor.core.models import Source

    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")).encode())
        sync(settings, [server.url("/rss")])
        poll_all_once()
        with db.session_scope() as session:
            for source in session.exec(select(Source)):
                source.etag, source.body_hash = None, None  # as if the feed had changed and changed back
        poll_all_once()

    [again] = captures(Capture.mention_id == None)
    first = captures(Capture.mention_id != None)[0]
    assert again.payload_sha256 == first.payload_sha256 and again.sha256 != first.sha256
    [(kind, warc, _, _, payload)] = warc_records(blob_path(settings, again.sha256).read_bytes())
    assert kind == "revisit" and payload == b"" and warc["WARC-Refers-To-Target-URI"] == first.url
    assert blob_path(settings, again.sha256).stat().st_size < 2000
    named = {sha for c in captures() for sha in (c.sha256, c.request_sha256)}
    assert set(store.stored(settings)) == named  # the copy written before the writer saw the match is gone
