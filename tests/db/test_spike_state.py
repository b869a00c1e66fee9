"""The online detector's stored state: bucket-by-bucket updates match a batch run, a restarted
process continues from the database, and spikes per person × source kind. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import math
import random
import re
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core.models import (
    Cluster,
    Mention,
    MentionPerson,
    Person,
    Recipient,
    Source,
    Spike,
    SpikeAlert,
    SpikeState,
)
from monitor.core.storage.spike_groups import group_spikes
from monitor.core.storage.spike_state import (
    ALL_KINDS,
    Series,
    _restored,
    bucket_number,
    load_series,
    save_series,
    skip_quiet_starts,
)
from monitor.core.storage.spikes import HOUR, hourly_counts, update_spikes, window_counts, windows_counts
from monitor.notify import alerts
from monitor.spikes import HOURLY_PARAMS, SERIES_PARAMS, Detector, detect, find_episodes
from monitor.spikes.sensitivity import params_for as sensitivity_params

START = datetime(2025, 3, 1, 0, tzinfo=timezone.utc)
DAYS = 12
BURSTS = {24 * 9 + 10: 40, 24 * 11 + 15: 25}  # hour offset from START -> extra mentions


def planted(days: int, *, seed: int = 3) -> list[int]:
    """Hourly counts with a day/night rhythm and two bursts (``BURSTS``)."""
    rng = random.Random(seed)
    counts = [rng.choice((0, 1, 1, 2, 3)) if 7 <= h % 24 <= 22 else rng.choice((0, 0, 1)) for h in range(days * 24)]
    for hour, extra in BURSTS.items():
        if hour < len(counts):
            counts[hour] += extra
    return counts


# --- the detector's state, without a database -----------------------------------------


def test_a_detector_saved_and_restored_after_every_bucket_flags_what_one_run_flags():
    rng = random.Random(9)
    for values, params in [
        ([max(0, round(rng.gauss(80, 9))) for _ in range(288 * 6)] + [700] * 5 + [80] * 300, SERIES_PARAMS),
        (planted(DAYS), HOURLY_PARAMS),  # sparse counts
    ]:
        detector, flags = Detector(params, phase=5), []
        for value in values:
            detector = Detector.restore(json.loads(json.dumps(detector.state())), params)  # as a database would
            flag = detector.update(value)
            flags += [flag.index] if flag else []

        straight = Detector(params, phase=5)
        expected = [i for i, v in enumerate(values) if straight.update(v)]
        assert flags == expected and flags, params


def test_new_series_moved_past_their_empty_buckets_at_once_end_as_if_fed_one_by_one():
    until = START + 24 * 5 * HOUR
    first, end = bucket_number(START, HOUR), bucket_number(until, HOUR)
    quiet = sensitivity_params(HOURLY_PARAMS, "quiet")
    cases = [  # (params, counts by bucket number): a later first mention, the same one, none, one at the start
        (HOURLY_PARAMS, {first + 100: 3, first + 101: 1, first + 110: 12}),
        (HOURLY_PARAMS, {first + 100: 30, end - 1: 2}),
        (HOURLY_PARAMS, {end + 1: 40}),  # a mention in an open bucket: none of them is fed
        (HOURLY_PARAMS, {first: 2, first + 50: 9}),
        (quiet, {first + 100: 3, first + 101: 1, first + 110: 12}),
        (quiet, {first + 7: 1}),
    ]

    def new(params, person_id):
        return Series(person_id, ALL_KINDS, HOUR, Detector(params, phase=first), START)

    plain, skipped = [new(p, i) for i, (p, _) in enumerate(cases)], [new(p, i) for i, (p, _) in enumerate(cases)]
    skip_quiet_starts(skipped, {(i, ALL_KINDS): counts for i, (_, counts) in enumerate(cases)}, until)
    assert [s.next_bucket for s in skipped] == [START + n * HOUR for n in (100, 100, 120, 0, 100, 7)]
    for one, other, (_, counts) in zip(plain, skipped, cases):
        one.feed(counts, until)
        other.feed(counts, until)

    assert [s.detector.state() for s in skipped] == [s.detector.state() for s in plain]
    assert [[asdict(e) for e in s.detector.episodes] for s in skipped] == [
        [asdict(e) for e in s.detector.episodes] for s in plain
    ]
    assert any(s.detector.episodes for s in plain) and all(s.next_bucket == until for s in skipped)


def test_a_stored_series_is_never_moved_past_empty_buckets_at_once():
    detector = Detector(HOURLY_PARAMS, phase=bucket_number(START, HOUR))
    stored = Series(1, ALL_KINDS, HOUR, detector, START, row_id=7, loaded_next=START)
    skip_quiet_starts([stored], {}, START + 48 * HOUR)
    assert stored.detector is detector and stored.next_bucket == START


def test_peek_judges_the_next_bucket_without_changing_the_state():
    detector = Detector(HOURLY_PARAMS)
    for value in planted(8):
        detector.update(value)
    before = detector.state()

    assert detector.peek(60) is not None and detector.peek(1) is None
    assert detector.state() == before


def test_zscore_grows_with_the_count_and_leaves_the_state_alone():
    detector = Detector(HOURLY_PARAMS)
    assert detector.zscore(5) == 0.0  # nothing seen yet: no baseline to stand out from
    for value in planted(8):
        detector.update(value)
    before = detector.state()

    assert detector.zscore(1) < detector.zscore(60) < detector.zscore(600)
    assert detector.zscore(60) >= HOURLY_PARAMS.threshold  # the burst peek() flags is that far out
    assert detector.state() == before


def test_a_series_that_bursts_every_day_needs_a_bigger_burst_than_a_quiet_one():
    rng = random.Random(2)
    quiet = [max(0, round(rng.gauss(50, 7))) for _ in range(288 * 20)]
    busy = list(quiet)
    for day in range(20):
        busy[day * 288 + 100] = 400  # a routine daily burst, eight times the level
    for series in (quiet, busy):
        series[19 * 288 + 200] = 450

    assert [f.index for f in detect(quiet) if f.index >= 19 * 288] == [19 * 288 + 200]
    assert [f.index for f in detect(busy) if f.index >= 19 * 288] == []


# --- stored state in the database ------------------------------------------------------


def add_mentions(session, source: Source, person: Person, counts: list[int], *, start: datetime = START) -> None:
    """``counts[h]`` mentions of ``person`` in hour ``h``, inserted in bulk without ORM objects
    (the drowned-burst test writes 23,000 rows: as objects that took 13 s, now 2 s)."""
    rows = [
        {
            "source_id": source.id,
            "guid": f"{source.id}-{person.id}-{hour}-{i}",
            "title": f"m{hour}-{i}",
            "url": f"https://example.org/{source.id}/{hour}/{i}",
            "published_at": moment,
            "fetched_at": moment,
        }
        for hour, count in enumerate(counts)
        for i in range(count)
        for moment in [start + hour * HOUR + timedelta(minutes=(7 * i) % 60, seconds=i)]
    ]
    if rows:
        ids = session.scalars(sa.insert(Mention).returning(Mention.id, sort_by_parameter_order=True), rows).all()
        session.execute(sa.insert(MentionPerson), [{"mention_id": i, "person_id": person.id} for i in ids])


def setup(session, kinds=("rss",)) -> tuple[Person, list[Source]]:
    person = Person(name="Vladimir Vorontsov")
    sources = [Source(url=f"https://example.org/{kind}.xml", name=kind, kind=kind) for kind in kinds]
    session.add_all([person, *sources])
    session.flush()
    return person, sources


def batch_run(session, person: Person, first: datetime, end: datetime) -> list[tuple[datetime, float]]:
    """(start, expected count) of each episode of one detector run over the person's hourly counts."""
    detector = Detector(HOURLY_PARAMS, phase=bucket_number(first, HOUR))
    for value in hourly_counts(session, person_id=person.id, start=first, end=end):
        detector.update(value)
    return [(first + e.start * HOUR, round(e.flag.expected, 3)) for e in detector.episodes]


def test_updating_hour_by_hour_records_the_spikes_one_batch_run_finds(settings):
    counts = planted(DAYS)
    lookback = 24 * 5
    first_now = START + timedelta(days=5, minutes=30)
    with db.session_scope(settings.database_url) as session:
        person, [source] = setup(session)
        add_mentions(session, source, person, counts)
        for hour in range(24 * (DAYS - 5)):
            update_spikes(session, now=first_now + hour * HOUR, lookback_hours=lookback, recent_hours=24 * DAYS)
        recorded = [(s.hour, s.expected) for s in session.exec(select(Spike).order_by(Spike.hour))]
        first = first_now.replace(minute=0) + HOUR - lookback * HOUR
        expected = batch_run(session, person, first, START + DAYS * 24 * HOUR)
        state = session.exec(select(SpikeState)).one()

    assert recorded == expected and [START + h * HOUR for h in BURSTS] == [hour for hour, _ in expected]
    assert state.next_bucket == START + (DAYS * 24 - 1) * HOUR  # the last hour is still within its grace


def test_a_restarted_process_continues_from_the_stored_state_without_rereading_history(settings):
    counts = planted(DAYS)
    middle = START + timedelta(days=8, minutes=20)
    with db.session_scope(settings.database_url) as session:
        person, [source] = setup(session)
        add_mentions(session, source, person, counts)
        assert update_spikes(session, now=middle, lookback_hours=24 * 8, recent_hours=24 * DAYS) == []
        first = middle.replace(minute=0) + HOUR - 24 * 8 * HOUR
        expected = batch_run(session, person, first, START + DAYS * 24 * HOUR)
    with db.session_scope(settings.database_url) as session:  # the history is gone: only the state remains
        stored = session.exec(select(SpikeState)).one().next_bucket
        old = session.exec(select(Mention.id).where(Mention.published_at < stored)).all()
        for link in session.exec(select(MentionPerson).where(MentionPerson.mention_id.in_(old))):
            session.delete(link)
        session.flush()
        for mention in session.exec(select(Mention).where(Mention.id.in_(old))):
            session.delete(mention)

    with db.session_scope(settings.database_url) as session:  # a new process: nothing in memory
        new = update_spikes(session, now=START + timedelta(days=DAYS), lookback_hours=24 * 8, recent_hours=24 * DAYS)

    # The expected counts come from the learned history, which the database no longer holds.
    assert [(s.hour, s.expected) for s in new] == expected and all(usual > 0.3 for _, usual in expected)
    assert [s.hour for s in new] == [START + h * HOUR for h in BURSTS]
    assert stored == middle.replace(minute=0)  # the hour it ran in was still open


DAMAGES = {
    "missing keys": lambda state: {"phase": state["phase"]},
    "another shape": lambda state: {**state, "day": state["day"][:3]},
    "text for a number": lambda state: {**state, "level": "high"},
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_state_relearns_its_series_and_stops_no_other(settings, damage, caplog):
    counts = planted(DAYS)
    with db.session_scope(settings.database_url) as session:
        person, [source] = setup(session)
        other = Person(name="Anna Petrova")
        session.add(other)
        session.flush()
        add_mentions(session, source, person, counts)
        add_mentions(session, source, other, counts)
        update_spikes(session, now=START + timedelta(days=8, minutes=20), lookback_hours=24 * 8)
        row = session.exec(select(SpikeState).where(SpikeState.person_id == person.id)).one()
        row.state = DAMAGES[damage](row.state)
        session.add(row)
        ids = person.id, other.id

    with db.session_scope(settings.database_url) as session:
        with caplog.at_level(logging.ERROR, logger="monitor.core.storage.spike_state"):
            new = update_spikes(session, now=START + timedelta(days=DAYS), lookback_hours=24 * 8, recent_hours=24 * 4)
        stored, beside = (session.exec(select(SpikeState).where(SpikeState.person_id == i)).one() for i in ids)

    bursts = [START + hour * HOUR for hour in BURSTS]
    assert sorted(s.hour for s in new if s.person_id == ids[1]) == bursts  # the other person goes on
    assert sorted(s.hour for s in new if s.person_id == ids[0]) == bursts  # relearnt from the lookback
    # stored over the damage, having learnt the lookback up to where the other series stands
    assert Detector.restore(stored.state, HOURLY_PARAMS).seen >= 24 * 7 and stored.next_bucket == beside.next_bucket
    assert "unreadable" in caplog.text and "Vorontsov" not in caplog.text  # the row is named, not the person


def test_a_state_with_a_number_json_cannot_hold_is_unreadable_not_silent():
    detector = Detector(HOURLY_PARAMS)
    for value in [0, 1, 0, 2, 0, 1] * 10 + [40]:
        detector.update(value)
    state = detector.state()
    assert detector.episode is not None and _restored(SpikeState(id=1, state=state), HOURLY_PARAMS) is not None

    for bad in (math.nan, math.inf):
        # a NaN level compares false with every bar: the series would never flag again
        assert _restored(SpikeState(id=1, state={**state, "level": bad}), HOURLY_PARAMS) is None
        assert (
            _restored(SpikeState(id=1, state={**state, "counts": {**state["counts"], "phi": [bad] * 3}}), HOURLY_PARAMS)
            is None
        )


@settings_hypothesis(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**12), max_size=120), st.sampled_from(["quiet", "normal", "eager"]))
def test_every_state_the_detector_writes_reads_back(counts, level):
    """The check for damaged rows never refuses a state the detector itself wrote: a series it
    refused would relearn on every refresh."""
    detector = Detector(sensitivity_params(HOURLY_PARAMS, level))
    for value in counts:
        detector.update(value)
    stored = json.loads(json.dumps(detector.state()))  # as the JSON column hands it back

    restored = _restored(SpikeState(id=1, state=stored), detector.params)
    assert restored is not None and restored.state() == detector.state()


def test_many_new_series_store_the_states_a_bucket_by_bucket_run_reaches(settings):
    """The first refresh of many people moves them past their empty buckets at once; each
    stored state and episode is still what one detector fed every bucket reaches."""
    now = START + timedelta(days=DAYS, minutes=30)
    lookback = 24 * 10
    histories = [
        [0] * (24 * DAYS - len(tail)) + tail for tail in ([3, 0, 14], [1] * 30 + [20], [], planted(DAYS)[-24 * 6 :])
    ]
    with db.session_scope(settings.database_url) as session:
        source = Source(url="https://example.org/rss.xml", name="rss", kind="rss")
        people = [Person(name=f"Person{i} Surname{i}", alert=alert) for i, alert in enumerate(("normal", "quiet") * 2)]
        session.add_all([source, *people])
        session.flush()
        for person, counts in zip(people, histories):
            add_mentions(session, source, person, counts)
        new = update_spikes(session, now=now, lookback_hours=lookback, recent_hours=24 * DAYS)
        recorded = {(s.person_id, s.hour) for s in new}
        states = {row.person_id: row.state for row in session.exec(select(SpikeState))}
        first = now.replace(minute=0) + HOUR - lookback * HOUR
        expected = set()
        for person in people:
            detector = Detector(sensitivity_params(HOURLY_PARAMS, person.alert), phase=bucket_number(first, HOUR))
            for value in hourly_counts(session, person_id=person.id, start=first, end=now.replace(minute=0)):
                detector.update(value)
            assert states[person.id] == json.loads(json.dumps(detector.state())), person.name
            expected |= {(person.id, first + e.start * HOUR) for e in detector.episodes}

    assert recorded == expected and len({person_id for person_id, _ in recorded}) >= 3


def test_the_windows_of_many_spikes_are_counted_as_one_spike_at_a_time_counts_them(settings):
    with db.session_scope(settings.database_url) as session:
        person, (rss, telegram) = setup(session, kinds=("rss", "telegram"))
        other = Person(name="Olga Orlova")
        clusters = [Cluster(key=f"story-{n}") for n in range(3)]
        session.add_all([other, *clusters])
        session.flush()
        add_mentions(session, rss, person, [2, 5, 0, 7, 1])
        add_mentions(session, telegram, person, [0, 3, 4, 0, 9])
        add_mentions(session, rss, other, [6, 0, 2, 3, 0])
        for n, mention in enumerate(session.exec(select(Mention).order_by(Mention.id))):
            mention.cluster_id = clusters[n % 3].id if n % 4 else None
            mention.author = (None, "", "ana", "bo", "ana")[n % 5]
        session.flush()
        rows = [
            dict(person_id=who.id, source_kind=kind, hour=START + start * HOUR, end_at=START + end * HOUR)
            for who in (person, other)
            for kind in (ALL_KINDS, "rss", "telegram")
            for start, end in ((0, 0), (1, 3), (3, 4), (4, 9))
        ]
        one_by_one = [window_counts(session, row, HOUR) for row in rows]

        assert windows_counts(session, rows, HOUR) == one_by_one
        assert len(set(one_by_one)) > 5 and any(c.stories < c.mentions for c in one_by_one)
        assert windows_counts(session, [], HOUR) == []


def test_two_workers_feeding_the_same_buckets_store_the_state_once(settings):
    with db.session_scope(settings.database_url) as session:
        person, [source] = setup(session)
        add_mentions(session, source, person, planted(3))
        update_spikes(session, now=START + timedelta(days=1, minutes=30), lookback_hours=24)
    end = START + timedelta(days=2)
    with db.session_scope(settings.database_url) as one, db.session_scope(settings.database_url) as two:
        [a] = load_series(one, keys=[(person.id, ALL_KINDS)], bucket=HOUR, params=HOURLY_PARAMS, start=START)
        [b] = load_series(two, keys=[(person.id, ALL_KINDS)], bucket=HOUR, params=HOURLY_PARAMS, start=START)
        a.feed({}, end)
        b.feed({}, end - HOUR)
        assert save_series(one, a, now=end) is True
        one.commit()
        assert save_series(two, b, now=end) is False  # it loaded the same next_bucket, which has moved on
    with db.session_scope(settings.database_url) as session:
        assert session.exec(select(SpikeState)).one().next_bucket == end


# --- per person × source kind ----------------------------------------------------------


def test_a_burst_from_one_kind_of_source_is_a_spike_of_the_person_and_of_that_kind(settings):
    quiet = [1 if h % 3 else 0 for h in range(24 * 6)]
    with db.session_scope(settings.database_url) as session:
        person, (rss, telegram) = setup(session, kinds=("rss", "telegram"))
        add_mentions(session, rss, person, quiet)
        add_mentions(session, telegram, person, quiet[:-1] + [30])
        new = update_spikes(session, now=START + timedelta(days=6, minutes=-30))
        spikes = [(s.source_kind, s.hour, s.count) for s in new]
        groups = group_spikes(new)

    last = START + (24 * 6 - 1) * HOUR
    assert sorted(spikes) == [("", last, 31), ("telegram", last, 30)]
    assert len(groups) == 1 and groups[0].spike.source_kind == "" and groups[0].kind_names == ["telegram"]


def test_a_burst_drowned_in_the_whole_volume_is_still_a_spike_of_its_kind_and_alerts_alone(settings, smtp):
    rng = random.Random(4)
    busy = [rng.choice((150, 160, 170, 180)) for _ in range(24 * 6)]
    rare = [0] * (24 * 6 - 1) + [14]
    with db.session_scope(settings.database_url) as session:
        person, (rss, telegram) = setup(session, kinds=("rss", "telegram"))
        session.add(Recipient(email="desk@example.org", people=[person.name]))
        add_mentions(session, rss, person, busy)
        add_mentions(session, telegram, person, rare)
        new = update_spikes(session, now=START + timedelta(days=6, minutes=-30))
        ids = [s.id for s in new]
        assert [(s.source_kind, s.count) for s in new] == [("telegram", 14)]

    assert alerts.send_spike_alerts(ids) == 1
    assert "in telegram sources" in smtp.received[0][1]


def test_a_spike_folded_under_the_persons_spike_does_not_alert_twice(settings, smtp):
    quiet = [1 if h % 3 else 0 for h in range(24 * 6)]
    with db.session_scope(settings.database_url) as session:
        person, (rss, telegram) = setup(session, kinds=("rss", "telegram"))
        session.add(Recipient(email="desk@example.org", people=[person.name]))
        add_mentions(session, rss, person, quiet)
        add_mentions(session, telegram, person, quiet[:-1] + [30])
        ids = [s.id for s in update_spikes(session, now=START + timedelta(days=6, minutes=-30))]

    assert len(ids) == 2 and alerts.send_spike_alerts(ids) == 1
    with db.session_scope(settings.database_url) as session:
        [alert] = session.exec(select(SpikeAlert)).all()
        assert session.get(Spike, alert.spike_id).source_kind == ""


def test_find_episodes_and_update_spikes_agree_on_a_sparse_persons_first_burst(settings):
    counts = [0] * 40 + [9] + [0] * 7
    with db.session_scope(settings.database_url) as session:
        person, [source] = setup(session)
        add_mentions(session, source, person, counts)
        new = update_spikes(session, now=START + len(counts) * HOUR - timedelta(minutes=30), lookback_hours=len(counts))

    [episode] = find_episodes(counts, params=HOURLY_PARAMS)
    assert [s.hour for s in new] == [START + episode.start * HOUR] == [START + 40 * HOUR]


def test_five_minute_buckets_flag_a_burst_within_its_five_minutes(settings):
    five = timedelta(minutes=5)
    with db.session_scope(settings.database_url) as session:
        person, [source] = setup(session)
        add_mentions(session, source, person, [1] * 48)  # one an hour for two days
        burst = START + 48 * HOUR + 20 * five
        for i in range(12):
            moment = burst + timedelta(seconds=20 * i)
            mention = Mention(source_id=source.id, guid=f"burst-{i}", published_at=moment, fetched_at=moment)
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id))
        new = update_spikes(session, now=burst + timedelta(minutes=3), bucket=five, lookback_hours=48)
        state = session.exec(select(SpikeState)).one()

    assert [(s.hour, s.count, s.bucket_seconds) for s in new] == [(burst, 12, 300)]
    assert re.fullmatch(
        r"12 mentions between 01:40 and 01:45 UTC — 12 stories; usually about \d+ a day", new[0].explanation
    )
    assert (state.bucket_seconds, state.next_bucket) == (300, burst - 3 * five)  # 15 minutes' grace
