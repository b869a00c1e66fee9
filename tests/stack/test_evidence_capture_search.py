"""Searched mentions are evidence like polled ones: VK (a token in the URL), YouTube (a key in a
header) and Bluesky (a bearer token) against one loopback server, both databases. The provider
response that yielded a mention is kept as WARC records without the secret, linked with its
hashes and method, logged in the custody chain, exported and verified; the same body read
again is a revisit record, kept only for the retention."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from monitor.core import db
from monitor.core.blobs import blob_path
from monitor.core.models import Mention, utcnow
from monitor.core.models_evidence import Capture
from monitor.core.settings import get_settings
from monitor.core.storage.captures import item_sha256, method_name
from monitor.evidence.retention import prune_unmatched
from monitor.search.run import run_searches
from tests.support.evidence import bundle_lines, captures, custody_events, export_and_verify, plain, warc_records
from tests.support.search import ProviderServer, rows, sync, write_config

VK_TOKEN, YOUTUBE_KEY, BLUESKY_JWT = "Zq9-vk-token", "Zq9-youtube-key", "Zq9-bluesky-jwt"
SECRETS = (VK_TOKEN, YOUTUBE_KEY, BLUESKY_JWT, "Zq9-app-password")
ONE_PERSON = [{"name": "Vladimir Vorontsov", "aliases": ["Владимир Воронцов"]}]

VK = {"response": {"count": 1, "items": [{"id": 7, "owner_id": -5, "from_id": 9, "date": 1764583200, "text": "Суд над Владимиром Воронцовым отложен"}]}}  # fmt: skip
YOUTUBE = {
    "kind": "youtube#searchListResponse",
    "items": [
        {
            "id": {"kind": "youtube#video", "videoId": "abc123"},
            "snippet": {
                "title": "Vladimir Vorontsov speaks in court",
                "description": "",
                "channelTitle": "News",
                "publishedAt": "2026-12-01T10:00:00Z",
            },
        }
    ],
}
BLUESKY = {
    "posts": [
        {
            "uri": "at://did:plc:a/app.bsky.feed.post/1",
            "cid": "c",
            "author": {"did": "did:plc:a", "handle": "a.bsky.social"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "Vladimir Vorontsov в суде",
                "createdAt": "2026-12-01T10:00:00Z",
            },  # fmt: skip
            "indexedAt": "2026-12-01T10:00:05Z",
        }
    ]
}


@pytest.fixture
def secrets(monkeypatch):
    monkeypatch.setenv("MONITOR_VK_TOKEN", VK_TOKEN)
    monkeypatch.setenv("MONITOR_YOUTUBE_KEY", YOUTUBE_KEY)
    monkeypatch.setenv("MONITOR_BLUESKY_HANDLE", "desk.example")
    monkeypatch.setenv("MONITOR_BLUESKY_APP_PASSWORD", "Zq9-app-password")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def answer(document: dict, empty: dict):
    """``document`` for the search of the Latin spelling, ``empty`` for the other."""
    return lambda seen: document if "Vladimir" in seen.query.get("q", [""])[0] else empty


def provider_server():
    server = ProviderServer()
    server.routes.update(
        {
            "/vk/newsfeed.search": answer(VK, {"response": {"count": 0, "items": []}}),
            "/youtube": answer(YOUTUBE, {"kind": "youtube#searchListResponse", "items": []}),
            "/xrpc/com.atproto.server.createSession": {
                "accessJwt": BLUESKY_JWT,
                "refreshJwt": "r",
                "handle": "desk.example",
                "did": "did:plc:x",
            },
            "/xrpc/app.bsky.feed.searchPosts": answer(BLUESKY, {"posts": []}),
        }
    )
    return server


def search_config(server: ProviderServer, path) -> str:
    tables = [("vk", server.url("/vk")), ("youtube", server.url("/youtube")), ("bluesky", server.url())]
    return write_config(
        path,
        "".join(f'[search.{n}]\nenabled = true\nbudget_per_minute = 6000\nurl = "{u}"\n\n' for n, u in tables),
        ONE_PERSON,
    )


def test_each_searched_mention_links_to_the_response_kept_without_its_secret_and_its_bundle_verifies(
    settings, secrets, tmp_path
):
    with provider_server() as server:
        watchlist = sync(search_config(server, tmp_path / "monitor.toml"))
        summaries = run_searches(watchlist.search, everyone=True)
        assert {s.name: (s.error, s.new) for s in summaries} == {n: (None, 1) for n in ("vk", "youtube", "bluesky")}
        sent = json.dumps([(s.line, s.headers) for s in server.seen])
        assert all(secret in sent for secret in (VK_TOKEN, YOUTUBE_KEY, BLUESKY_JWT))  # sent, so worth hiding

    by_provider = {}
    for mention in rows(Mention):
        [capture] = captures(Capture.mention_id == mention.id)
        provider = capture.method.rsplit(" ", 1)[1]
        by_provider[provider] = capture
        assert capture.method == method_name(provider) and (capture.kind, capture.status) == ("search", 200)
        assert capture.item_sha256 == item_sha256(mention)
        response = blob_path(settings, capture.sha256).read_bytes()
        request = blob_path(settings, capture.request_sha256).read_bytes()
        assert hashlib.sha256(response).hexdigest() == capture.sha256
        [(kind, warc, status, _, payload)] = warc_records(response)
        assert (kind, status, warc["WARC-Target-URI"]) == ("response", "200 OK", capture.url)
        assert json.loads(payload) == {"vk": VK, "youtube": YOUTUBE, "bluesky": BLUESKY}[provider]
        for secret in SECRETS:
            assert secret.encode() not in plain(request) + plain(response) and secret not in capture.url
    assert set(by_provider) == {"vk", "youtube", "bluesky"}
    assert "query access_token" in by_provider["vk"].transform
    assert "header X-Goog-Api-Key" in by_provider["youtube"].transform
    assert "header Authorization" in by_provider["bluesky"].transform
    assert captures(Capture.mention_id == None) == []  # the empty answers yielded nothing: not kept

    captured = {e.subject for e in custody_events() if e.kind == "captured"}
    assert captured == {f"capture:{c.id}" for c in by_provider.values()}
    root = export_and_verify("Vladimir Vorontsov", tmp_path)
    for capture in by_provider.values():
        assert (root / "data" / "warc" / f"{capture.sha256}.warc.gz").is_file()
        assert (root / "data" / "warc" / f"{capture.request_sha256}.warc.gz").is_file()
    assert captured <= {e.get("subject") for e in bundle_lines(root, "custody.jsonl")}


def test_the_same_answer_again_is_a_revisit_record_kept_only_for_the_retention(settings, secrets, tmp_path):
    with provider_server() as server:
        watchlist = sync(search_config(server, tmp_path / "monitor.toml"))
        run_searches(watchlist.search, everyone=True)
        run_searches(watchlist.search, everyone=True, now=utcnow() + timedelta(hours=1))

    linked, again = captures(Capture.mention_id != None), captures(Capture.mention_id == None)
    assert len(linked) == len(again) == 3
    first = {c.payload_sha256: c for c in linked}
    for capture in again:
        [(kind, warc, _, _, payload)] = warc_records(blob_path(settings, capture.sha256).read_bytes())
        assert kind == "revisit" and payload == b"" and capture.kind == "search"
        assert warc["WARC-Refers-To-Target-URI"] == first[capture.payload_sha256].url  # the body is stored once
    with db.session_scope() as session:
        assert prune_unmatched(session, settings=settings, now=utcnow() + timedelta(days=8)) == 3
    assert captures(Capture.mention_id == None) == [] and len(captures()) == 3
    assert all(blob_path(settings, c.sha256).is_file() for c in linked)
