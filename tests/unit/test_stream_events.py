"""The stream parsers and the config tables, pure: hostile frames are ``BadEvent``, never a crash.

Property-based (Hypothesis, bounded): any JSON value, any text, any field of any type.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core.config_file import ConfigError, parse_watchlist
from monitor.core.config_streams import specs
from monitor.ingest.streams.events import (
    BadEvent,
    StreamEvent,
    jetstream_event,
    mastodon_event,
    mastodon_frame,
)
from monitor.ingest.streams.jetstream import subscribe_url
from monitor.ingest.streams.ws import Backoff
from tests.support import paths
from tests.support.stream_standins import jetstream_post, mastodon_status

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
NOW_US = int(NOW.timestamp() * 1_000_000)
BOUNDED = hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def _is_valid(event: StreamEvent) -> bool:
    item = event.item
    if item is None:
        return True
    fields = (item.guid, item.url, item.title, item.text)
    return (
        all(isinstance(f, str) for f in fields)
        and all(v is None or isinstance(v, str) for v in (item.author, item.lang, item.reposted_by))
        and (item.published_at is None or item.published_at <= NOW + timedelta(minutes=10))
    )


@BOUNDED
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), json_values.map(json.dumps)))
def test_any_frame_is_an_event_or_a_bad_event(frame):
    for parse in (jetstream_event, mastodon_frame):
        try:
            assert _is_valid(parse(frame, now=NOW))
        except BadEvent as exc:
            assert "\n" not in str(exc)


@BOUNDED
@given(
    commit=st.dictionaries(st.sampled_from(["operation", "collection", "rkey", "record", "cid"]), json_values),
    record=st.dictionaries(st.sampled_from(["text", "createdAt", "langs", "embed", "subject"]), json_values),
    did=json_values | st.just("did:plc:abc"),
    time_us=json_values | st.integers(NOW_US - 10**12, NOW_US + 10**12),
    collection=st.sampled_from(["app.bsky.feed.post", "app.bsky.feed.repost"]),
)
def test_jetstream_events_with_fields_of_any_type_never_crash(commit, record, did, time_us, collection):
    frame = {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {"collection": collection, "operation": "create", **commit, "record": record},
    }
    try:
        assert _is_valid(jetstream_event(json.dumps(frame), now=NOW))
    except BadEvent:
        pass


@BOUNDED
@given(
    status=st.dictionaries(
        st.sampled_from(["uri", "url", "content", "spoiler_text", "created_at", "account", "reblog", "language", "id"]),
        json_values,
    ),
    event=st.sampled_from(["update", "status.update", "delete", "notification"]),
)
def test_mastodon_statuses_with_fields_of_any_type_never_crash(status, event):
    try:
        assert _is_valid(mastodon_event(event, json.dumps(status), now=NOW))
    except BadEvent:
        pass


@BOUNDED
@given(text=st.text(max_size=300))
def test_a_post_keeps_any_text(text):
    event = jetstream_event(json.dumps(jetstream_post(NOW_US - 5, text)), now=NOW)
    assert event.item.text == " ".join(text.split())[:20_000]
    assert event.time_us == NOW_US - 5


def test_a_year_9999_date_gives_way_to_the_streams_time():
    frame = jetstream_post(NOW_US - 1_000_000, "hello", createdAt="9999-12-31T23:59:59Z")
    event = jetstream_event(json.dumps(frame), now=NOW)
    assert event.item.published_at == NOW - timedelta(seconds=1)
    status = {**mastodon_status(1, "hello"), "created_at": "9999-01-01T00:00:00Z"}
    assert mastodon_event("update", json.dumps(status), now=NOW).item.published_at == NOW


@pytest.mark.parametrize("time_us", [NOW_US + 3_600_000_000, 253402300799000000, 12, -5, True, "1733000000000000"])
def test_an_implausible_jetstream_time_is_skipped_not_stored_as_cursor(time_us):
    with pytest.raises(BadEvent):
        jetstream_event(json.dumps({**jetstream_post(1, "x"), "time_us": time_us}), now=NOW)


def test_a_post_event_becomes_an_item_keyed_by_its_at_uri():
    event = jetstream_event(json.dumps(jetstream_post(NOW_US, "Vorontsov", did="did:plc:abc", rkey="3kx")), now=NOW)
    assert event.item.guid == event.item.platform_id == "at://did:plc:abc/app.bsky.feed.post/3kx"
    assert event.item.url == "https://bsky.app/profile/did:plc:abc/post/3kx"
    delete = {
        "did": "did:plc:abc",
        "time_us": NOW_US,
        "kind": "commit",
        "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3kx"},
    }
    assert jetstream_event(json.dumps(delete), now=NOW).item is None


def test_a_boost_is_its_original_with_the_booster():
    original = mastodon_status(5, "Vorontsov")
    boost = mastodon_status(6, "", user="booster", boost_of=original)
    event = mastodon_frame(json.dumps({"event": "update", "payload": json.dumps(boost)}), now=NOW)
    assert event.item.guid == original["uri"] and event.item.reposted_by == "booster"


def test_the_subscribe_url_asks_for_posts_from_the_cursor():
    wanted = "wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost"
    assert subscribe_url("wss://j.example/subscribe", None) == f"wss://j.example/subscribe?{wanted}"
    assert (
        subscribe_url("wss://j.example/subscribe?cursor=1&x=y", "1733")
        == f"wss://j.example/subscribe?x=y&{wanted}&cursor=1733"
    )


def test_a_repost_names_the_post_it_reposts_and_who_reposted_it():
    uri = "at://did:plc:abc/app.bsky.feed.post/3kx"
    repost = {
        "did": "did:plc:fan",
        "time_us": NOW_US,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.repost",
            "rkey": "3ky",
            "record": {
                "$type": "app.bsky.feed.repost",
                "subject": {"uri": uri, "cid": "c"},
                "createdAt": "2026-12-01T11:00:00Z",
            },
        },
    }
    event = jetstream_event(json.dumps(repost), now=NOW)
    assert (event.item, event.repost_of, event.reposter, event.time_us) == (None, uri, "did:plc:fan", NOW_US)
    repost["commit"]["record"]["subject"]["uri"] = "https://evil.example/x"
    with pytest.raises(BadEvent):
        jetstream_event(json.dumps(repost), now=NOW)


def test_the_backoff_doubles_with_jitter_up_to_its_cap_and_resets():
    low, high = Backoff(8, rng=lambda: 0.0), Backoff(8, rng=lambda: 1.0)
    assert [low.next() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert [high.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    high.reset()
    assert high.next() == 0.5


@pytest.mark.parametrize(
    "table, problem",
    [
        ({"bluesky": {"enabled": "yes"}}, "stream.bluesky: enabled: Input should be a valid boolean"),
        ({"bluesky": {"url": "https://j.example"}}, "url: bad URL 'https://j.example': expected ws:// or wss://"),
        ({"bluesky": {"instances": ["m.example"]}}, "stream.bluesky: instances: only [stream.mastodon] takes this key"),
        ({"bluesky": {"urll": "wss://x"}}, "stream.bluesky: urll: unknown key; did you mean 'url'?"),
        ({"twitter": {}}, "stream.twitter: unknown stream 'twitter'; known: bluesky, mastodon"),
        ({"mastodon": {}}, "stream.mastodon: instances: list the servers to stream"),
        ({"mastodon": {"instances": "m.example"}}, "stream.mastodon: instances: Input should be a valid list"),
        ({"mastodon": {"instances": ["not a host"]}}, "stream.mastodon: instances: bad instance 'not a host'"),
        ({"mastodon": {"instances": ["a.example"], "tags": ["#free vorontsov"]}}, "tags: bad hashtag 'free vorontsov'"),
        (
            {"mastodon": {"instances": ["a.example", "b.example"], "url": "wss://s.example"}},
            "url: one streaming endpoint",
        ),
    ],
)
def test_a_bad_stream_table_is_one_line_naming_file_entry_and_key(table, problem):
    with pytest.raises(ConfigError) as error:
        parse_watchlist({"stream": table}, "monitor.toml")
    assert str(error.value).startswith("monitor.toml: stream.") and problem in str(error.value)
    assert "\n" not in str(error.value)


def test_the_stream_tables_become_one_stream_per_jetstream_and_instance():
    watchlist = parse_watchlist(
        {
            "stream": {
                "bluesky": {"enabled": True},
                "mastodon": {"instances": ["Mastodon.Social", "http://127.0.0.1:8765"], "tags": ["#FreeVorontsov"]},
            }
        },
        "monitor.toml",
    )
    found = specs(watchlist.streams)
    assert [(s.kind, s.url) for s in found] == [
        ("jetstream", "wss://jetstream2.us-east.bsky.network/subscribe"),
        ("mastodon-stream", "wss://mastodon.social/api/v1/streaming"),
        ("mastodon-stream", "ws://127.0.0.1:8765/api/v1/streaming"),
    ]
    assert found[1].instance == "https://mastodon.social" and found[1].tags == ("FreeVorontsov",)
    assert specs(parse_watchlist({"stream": {"bluesky": {"enabled": False}}}, "m.toml").streams) == []


def test_a_jetstream_post_has_the_identity_of_the_same_post_polled_from_an_author_feed():
    from monitor.dedupe import global_identity
    from monitor.sources.bluesky import post_item

    streamed = jetstream_event(
        json.dumps(jetstream_post(NOW_US, "Vorontsov", did="did:plc:abc", rkey="3kx")), now=NOW
    ).item
    polled = post_item(
        {
            "uri": "at://did:plc:abc/app.bsky.feed.post/3kx",
            "author": {"handle": "writer.bsky.social"},
            "record": {"text": "Vorontsov", "createdAt": "2026-11-30T10:00:00Z"},
        }
    )
    assert global_identity(streamed.kind, streamed.platform_id) == global_identity(polled.kind, polled.platform_id)


def test_the_readme_and_example_stream_tables_are_valid():
    import re
    import tomllib

    root = paths.REPO
    block = next(
        b
        for b in re.findall(r"```toml\n(.*?)```", (root / "README.md").read_text(encoding="utf-8"), re.S)
        if "[stream.bluesky]" in b
    )
    documented = parse_watchlist(tomllib.loads(block), "README.md")
    assert [s.kind for s in specs(documented.streams)] == ["jetstream", "mastodon-stream", "mastodon-stream"]
    section = (root / "monitor.example.toml").read_text(encoding="utf-8").split("# --- Streams")[1]
    uncommented = "\n".join(line[2:] for line in section.splitlines() if re.match(r"# (\[|\w+ = )", line))
    example = parse_watchlist(tomllib.loads(uncommented), "monitor.example.toml")
    assert [s.kind for s in specs(example.streams)] == ["jetstream", "mastodon-stream"]
