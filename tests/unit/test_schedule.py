"""Adaptive intervals, weighted backoff and the went-silent flag."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from monitor.core.models import Source
from monitor.core.settings import Settings
from monitor.ingest.fetch import FetchError
from monitor.ingest.schedule import backoff, is_silent, max_age, next_interval
from monitor.sources import ParseError

SETTINGS = Settings(min_poll_interval_seconds=300, max_poll_interval_seconds=21600, silent_after_intervals=12)
NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)


def test_it_polls_sooner_when_most_items_were_new():
    assert next_interval(900, fetched=20, new=15, server_hint=None, settings=SETTINGS) == 450


def test_it_polls_later_when_nothing_was_new():
    assert next_interval(900, fetched=20, new=0, server_hint=None, settings=SETTINGS) == 1350


def test_it_keeps_the_pace_when_some_items_were_new():
    assert next_interval(900, fetched=20, new=3, server_hint=None, settings=SETTINGS) == 900


@pytest.mark.parametrize(("current", "new", "expected"), [(400, 20, 300), (20000, 0, 21600)])
def test_the_interval_stays_within_bounds(current, new, expected):
    assert next_interval(current, fetched=20, new=new, server_hint=None, settings=SETTINGS) == expected


def test_a_server_asking_for_more_time_gets_it():
    assert next_interval(900, fetched=20, new=15, server_hint=3600, settings=SETTINGS) == 3600
    assert max_age({"cache-control": "public, max-age=3600"}) == 3600
    assert max_age({}) is None


def test_backoff_doubles_and_weighs_the_kind_of_error():
    transient = FetchError("HTTP 503")
    assert backoff(900, 1, transient) == timedelta(seconds=900)
    assert backoff(900, 3, transient) == timedelta(seconds=3600)
    assert backoff(900, 1, ParseError("not a feed")) == timedelta(seconds=1800)
    assert backoff(900, 1, FetchError("HTTP 404", permanent=True)) == timedelta(seconds=3600)
    assert backoff(900, 40, transient) == timedelta(hours=24)


def test_backoff_honours_retry_after():
    assert backoff(60, 1, FetchError("HTTP 429", retry_after=7200)) == timedelta(seconds=7200)


def test_a_source_that_used_to_yield_and_went_quiet_is_flagged():
    source = Source(url="https://example.org/f", interval_seconds=900, last_new_at=NOW - timedelta(hours=4))
    assert is_silent(source, NOW, SETTINGS)
    source.last_new_at = NOW - timedelta(hours=2)
    assert not is_silent(source, NOW, SETTINGS)
    assert not is_silent(Source(url="https://example.org/never"), NOW, SETTINGS)


def test_a_quiet_stream_is_not_called_silent():
    # A stream delivers every public post; hours without a mention of a tracked name are normal.
    stream = Source(url="wss://jetstream.example", origin="stream", last_new_at=NOW - timedelta(days=2))
    assert not is_silent(stream, NOW, SETTINGS)


@given(st.integers(-10, 3000))
def test_a_spike_bucket_is_accepted_only_from_five_minutes_to_a_day_and_dividing_it(minutes):
    try:
        Settings(spike_bucket_minutes=minutes)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted == (5 <= minutes <= 1440 and 1440 % minutes == 0)
