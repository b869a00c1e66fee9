"""Streamed mentions are evidence like polled ones: a loopback Jetstream (its URL carrying a
token) and a Mastodon server that refuses streaming, real ``monitor stream`` processes, both
databases. The message that yielded a mention is kept as WARC records without the token,
linked with its hashes and method, logged in the custody chain, exported and verified."""

from __future__ import annotations

import hashlib
import html
import json
from datetime import timedelta

import pytest

from monitor.core import db
from monitor.core.blobs import blob_path
from monitor.core.models import Mention, MentionPerson, utcnow
from monitor.core.models_evidence import Capture
from monitor.core.storage.captures import item_sha256, method_name
from monitor.core.storage.custody import people_key
from monitor.evidence.retention import prune_unmatched
from tests.support.evidence import (
    bundle_lines,
    captures,
    custody_events,
    export_and_verify,
    plain,
    rows,
    warc_records,
)
from tests.support.stream_standins import (
    JetstreamStandIn,
    MastodonStandIn,
    jetstream_post,
    mastodon_status,
    now_us,
    stream_until,
    write_config,
)
from tests.support.web import signed_in

TOKEN = "Zq9-jetstream-token"


@pytest.fixture
def jetstream():
    server = JetstreamStandIn().start()
    yield server
    server.stop()


def test_a_streamed_mention_links_to_its_message_kept_without_the_token_and_its_bundle_verifies(
    settings, jetstream, tmp_path
):
    write_config(settings.config, f'[stream.bluesky]\nurl = "{jetstream.url}?access_token={TOKEN}"\n')
    base = now_us() - 60_000_000
    named = jetstream_post(base + 2, "Суд продлил арест Владимира Воронцова", rkey="named1")
    jetstream.add(jetstream_post(base + 1, "Nothing about anyone here", rkey="other1"))
    jetstream.add(named)
    done = stream_until(lambda: captures(), "the named message's capture")
    assert done.returncode == 0, done.stderr
    assert TOKEN in jetstream.ws_requests()[0].path  # it was sent: the records must not keep it

    [mention] = rows(Mention)
    [capture] = captures()  # the unrelated message is not kept
    assert (capture.kind, capture.mention_id, capture.status) == ("stream", mention.id, None)
    assert capture.item_sha256 == item_sha256(mention) and capture.method == method_name("jetstream")
    assert capture.captured_at.utcoffset() == timedelta(0)
    blob = blob_path(settings, capture.sha256).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == capture.sha256
    [(kind, warc, _, _, payload)] = warc_records(blob)
    assert kind == "resource" and payload == json.dumps(named).encode()  # the message, byte for byte
    assert warc["WARC-Target-URI"] == capture.url and capture.url.startswith(jetstream.url + "?access_token=")
    assert warc["Monitor-Method"] == capture.method and "query access_token" in capture.transform
    request = blob_path(settings, capture.request_sha256).read_bytes()
    [(kind, request_warc, _, _, handshake)] = warc_records(request)
    assert kind == "request" and handshake.startswith(b"GET /subscribe?") and b"Upgrade: websocket" in handshake
    assert request_warc["WARC-Concurrent-To"] == warc["WARC-Record-ID"]
    for stored in (blob, request):
        assert TOKEN.encode() not in plain(stored) and TOKEN.encode() not in stored

    [event] = [e for e in custody_events() if e.subject == f"capture:{capture.id}"]
    assert event.kind == "captured" and event.people == people_key(link.person_id for link in rows(MentionPerson))
    root = export_and_verify("Vladimir Vorontsov", tmp_path)
    assert (root / "data" / "warc" / f"{capture.sha256}.warc.gz").read_bytes() == blob
    assert (root / "data" / "warc" / f"{capture.request_sha256}.warc.gz").read_bytes() == request
    [item] = bundle_lines(root, "items.jsonl")
    assert [(c["kind"], c["sha256"], c["item_sha256"]) for c in item["captures"]] == [
        ("stream", capture.sha256, capture.item_sha256)
    ]
    assert f"capture:{capture.id}" in {e.get("subject") for e in bundle_lines(root, "custody.jsonl")}

    page = signed_in("reviewer").get(f"/evidence/mentions/{mention.id}").text
    assert '"rkey": "named1"' in html.unescape(page) and TOKEN not in page  # the kept message is shown


def test_a_replayed_message_is_kept_only_for_the_retention(settings, jetstream):
    write_config(settings.config, f'[stream.bluesky]\nurl = "{jetstream.url}"\n')
    jetstream.add(jetstream_post(now_us() - 1_000_000, "Vorontsov appeal hearing today", rkey="named1"))
    assert stream_until(lambda: captures(), "the message's capture").returncode == 0
    # It resumes at the stored cursor: the last message comes again.
    assert stream_until(lambda: len(captures()) == 2, "the replayed message's capture").returncode == 0

    [linked] = captures(Capture.mention_id != None)
    [replayed] = captures(Capture.mention_id == None)
    assert replayed.kind == "stream" and replayed.payload_sha256 == linked.payload_sha256
    assert len([e for e in custody_events() if e.kind == "captured"]) == 1
    with db.session_scope() as session:
        assert prune_unmatched(session, settings=settings, now=utcnow() + timedelta(days=6)) == 0
        assert prune_unmatched(session, settings=settings, now=utcnow() + timedelta(days=8)) == 1
    assert captures() == [linked] and blob_path(settings, linked.sha256).is_file()
    assert not blob_path(settings, replayed.sha256).exists()


def test_a_post_from_the_polling_fallback_links_to_the_timeline_response(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_STREAM_POLL_SECONDS", "0.5")
    server = MastodonStandIn(refuse=True).start()
    try:
        server.statuses = [
            mastodon_status(11, "Weather today"),
            mastodon_status(12, "Владимир Воронцов переведён в другую колонию"),
        ]
        write_config(settings.config, f'[stream.mastodon]\ninstances = ["{server.instance}"]\n')
        assert stream_until(lambda: captures(), "the timeline response's capture").returncode == 0
    finally:
        server.stop()

    [mention] = rows(Mention)
    [capture] = captures()
    assert (capture.kind, capture.mention_id, capture.status) == ("stream", mention.id, 200)
    assert capture.method == method_name("mastodon-timeline") and capture.url.startswith(server.instance)
    [(kind, _, status, _, payload)] = warc_records(blob_path(settings, capture.sha256).read_bytes())
    assert kind == "response" and status == "200 OK"
    assert [s["id"] for s in json.loads(payload)] == ["12", "11"]  # the whole timeline page, as received
    assert capture.item_sha256 == item_sha256(mention)
