"""The causal spike detector, ``monitor spikes detect`` and hourly spikes per person."""

from __future__ import annotations

import json
import math
import os
import random
import re
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select
from typer.testing import CliRunner

from monitor.core import db
from monitor.core.models import Mention, MentionPerson, Person, Source, Spike
from monitor.core.storage import spikes as live_spikes
from monitor.core.storage.spikes import hourly_counts, update_spikes
from monitor.entry.cli import app
from monitor.spikes import (
    AFTER_SILENCE,
    HOURLY_PARAMS,
    SERIES_PARAMS,
    Detector,
    detect,
    detect_csv,
    find_episodes,
    poisson_sf,
)
from monitor.spikes.series import read_series, rows_per_day
from tests.support import paths

REPO = paths.REPO
# ../shared beside the checkout; a git worktree elsewhere names it in MONITOR_SHARED.
SHARED = Path(os.environ.get("MONITOR_SHARED") or REPO.parent / "shared")
NAB_DIR = SHARED / "data" / "nab-realtweets"
NAB_SCORE = SHARED / "tools" / "nab_score.py"
NOW = datetime(2025, 3, 10, 14, 25, tzinfo=timezone.utc)
START = datetime(2025, 3, 1, 0, 0, 5)


def noisy(n: int, level: float, seed: int = 7) -> list[int]:
    """A steady series: ``level`` plus Poisson-like noise, reproducible."""
    rng = random.Random(seed)
    return [max(0, round(rng.gauss(level, level**0.5))) for _ in range(n)]


def flagged_rows(values, params=SERIES_PARAMS) -> list[int]:
    return [flag.index for flag in detect(values, params=params)]


def write_csv(path: Path, values, *, header: str = "timestamp,value") -> Path:
    lines = [header] + [f"{(START + timedelta(minutes=5 * i)):%Y-%m-%d %H:%M:%S},{v}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the detector ---------------------------------------------------------------------


@pytest.mark.parametrize("params", [SERIES_PARAMS, HOURLY_PARAMS], ids=["series", "hourly"])
def test_a_steady_series_flags_nothing(params):
    assert flagged_rows(noisy(2000, 100), params) == []


def test_a_burst_is_flagged_at_its_first_row():
    values = noisy(600, 100)
    values[500:510] = [900] * 10

    flags = detect(values, params=SERIES_PARAMS)

    assert [f.index for f in flags] == [500]
    assert flags[0].value == 900
    assert 80 <= flags[0].expected <= 120
    assert flags[0].score >= SERIES_PARAMS.threshold


def test_a_burst_is_one_episode_with_its_start_peak_and_end():
    values = noisy(1200, 100)
    values[800:806] = [500, 900, 1500, 900, 500, 300]

    episodes = find_episodes(values, params=SERIES_PARAMS)

    # The count model's hour window still holds the burst (winsorised) for a few buckets after it.
    assert [(e.start, e.peak) for e in episodes] == [(800, 802)]
    assert 805 <= episodes[0].end < 805 + 12
    assert episodes[0].peak_value == 1500 and episodes[0].total >= 4600


def test_a_new_episode_opens_only_after_a_quiet_spell():
    params = replace(SERIES_PARAMS, quiet=50)
    values = noisy(1000, 100)
    values[400] = values[430] = values[500] = 900

    assert flagged_rows(values, params) == [400, 500]


def test_flags_of_a_prefix_are_the_full_series_flags_within_that_prefix():
    values = noisy(3000, 50, seed=3)
    for start in (700, 1400, 1420, 2400):
        values[start : start + 5] = [400] * 5
    full = flagged_rows(values, replace(SERIES_PARAMS, quiet=12))
    assert len(full) >= 3

    for cut in (300, 701, 1402, 1421, 2000, 2401, 3000):
        assert flagged_rows(values[:cut], replace(SERIES_PARAMS, quiet=12)) == [i for i in full if i < cut]


def test_the_streaming_detector_agrees_with_detect():
    values = noisy(800, 20)
    values[500] = 300
    detector = Detector(SERIES_PARAMS)

    streamed = [flag for v in values if (flag := detector.update(v))]

    assert streamed == detect(values, params=SERIES_PARAMS)
    assert [f.index for f in streamed] == [500]


def test_nothing_is_flagged_during_warm_up():
    values = [10] * 100 + [1000] + [10] * 100
    params = replace(SERIES_PARAMS, warmup=150)

    assert flagged_rows(values, params) == []
    assert flagged_rows(values, replace(params, warmup=20)) == [100]


def test_a_rise_smaller_than_min_excess_is_not_flagged():
    values = [0] * 50 + [4]
    params = replace(HOURLY_PARAMS, max_p=1e-3, scan_threshold=math.inf)  # the log test alone

    assert flagged_rows(values, replace(params, min_excess=5)) == []
    assert flagged_rows(values, replace(params, min_excess=3)) == [50]


def daily_rhythm(days: int, *, rows_per_day: int = 288, seed: int = 5) -> list[int]:
    """Mention volume that is ten times higher by day than by night, with Poisson-like noise."""
    rng = random.Random(seed)
    values = []
    for i in range(days * rows_per_day):
        hour = (i % rows_per_day) * 24 / rows_per_day
        level = 20 + 180 * max(0.0, math.sin(math.pi * (hour - 6) / 12))
        values.append(max(0, round(rng.gauss(level, level**0.5))))
    return values


def test_the_daily_rhythm_is_not_flagged():
    assert flagged_rows(daily_rhythm(14)) == []


def test_a_burst_at_night_is_flagged_even_though_it_is_below_the_daytime_level():
    values = daily_rhythm(10)
    night = 9 * 288 + 24  # 02:00 on day 10, where ~20 is usual and ~200 is the afternoon
    values[night : night + 6] = [150] * 6

    assert flagged_rows(values) == [night]


def test_a_past_spike_does_not_mute_the_next_one():
    values = noisy(288 * 10, 50)
    values[288 * 3 : 288 * 3 + 36] = [2000] * 36  # three hours of a big story
    values[288 * 5] = 600  # two days later, a burst a third of its size

    assert flagged_rows(values) == [288 * 3, 288 * 5]


def test_a_past_spike_does_not_inflate_the_expected_count():
    values = noisy(288 * 6, 50)
    values[288 * 3 : 288 * 3 + 36] = [2000] * 36
    values[288 * 5] = 600

    flag = detect(values)[-1]

    assert flag.index == 288 * 5 and 35 <= flag.expected <= 75


def test_hourly_params_flag_a_jump_from_one_to_fifteen_an_hour():
    assert flagged_rows([1] * 200 + [15], HOURLY_PARAMS) == [200]


def test_hourly_params_do_not_flag_a_steady_one_to_three_an_hour():
    rng = random.Random(1)
    assert flagged_rows([rng.randint(1, 3) for _ in range(24 * 30)], HOURLY_PARAMS) == []


def test_hourly_params_do_not_flag_a_sparse_person_mentioned_now_and_then():
    rng = random.Random(2)
    values = [1 if rng.random() < 0.1 else 0 for _ in range(24 * 60)]  # ~2 mentions a day
    values[24 * 20] = 2

    assert flagged_rows(values, HOURLY_PARAMS) == []


def test_hourly_params_flag_a_sparse_person_suddenly_mentioned_ten_times():
    rng = random.Random(2)
    values = [1 if rng.random() < 0.1 else 0 for _ in range(24 * 60)]
    values[24 * 50] = 10

    flags = detect(values, params=HOURLY_PARAMS)

    assert [f.index for f in flags] == [24 * 50]
    assert flags[0].p_value < 1e-6 and flags[0].expected < 1


def test_hourly_params_flag_ten_mentions_of_someone_never_mentioned_before():
    assert flagged_rows([0] * 300 + [10], HOURLY_PARAMS) == [300]
    assert flagged_rows([0, 10], HOURLY_PARAMS) == [1]


def test_hourly_params_do_not_flag_a_first_mention():
    assert flagged_rows([0] * 300 + [1, 2, 1], HOURLY_PARAMS) == []


def test_a_first_mention_after_a_month_of_silence_is_its_own_kind():
    values = [1, 0, 2] + [0] * (31 * 24) + [1]

    flags = detect(values, params=HOURLY_PARAMS)

    assert [(f.index, f.kind) for f in flags] == [(len(values) - 1, AFTER_SILENCE)]


def test_a_mention_after_a_short_silence_is_not_flagged():
    assert flagged_rows([1, 0, 2] + [0] * (5 * 24) + [1], HOURLY_PARAMS) == []


def test_the_poisson_tail_matches_the_exact_sum():
    exact = 1 - sum(math.exp(-2.0) * 2.0**k / math.factorial(k) for k in range(9))

    assert poisson_sf(9, 2.0) == pytest.approx(exact, rel=0.05)
    assert poisson_sf(0, 2.0) == 1.0 and poisson_sf(1, 2.0) == 1.0


# --- detect_csv and the command line --------------------------------------------------


def test_detect_csv_writes_one_json_line_per_flagged_row(tmp_path):
    values = noisy(600, 100)
    values[500] = 900
    path = write_csv(tmp_path / "series.csv", values)

    records = [json.loads(line) for line in detect_csv(path)]

    assert len(records) == 1
    record = records[0]
    assert set(record) == {"timestamp", "value", "expected", "score"}
    assert record["timestamp"] == f"{START + timedelta(minutes=5 * 500):%Y-%m-%d %H:%M:%S}"
    assert record["value"] == 900 and isinstance(record["value"], int)
    assert isinstance(record["expected"], (int, float)) and isinstance(record["score"], float)
    assert round(record["score"], 3) == record["score"]


def test_detect_csv_flags_nothing_in_a_quiet_series(tmp_path):
    assert list(detect_csv(write_csv(tmp_path / "quiet.csv", noisy(600, 100)))) == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("2015-02-26 21:42:53", "expected 2 fields"),
        ("26/02/2015 21:42,5", "is not YYYY-MM-DD HH:MM:SS"),
        ("2015-02-26 21:42:53,many", "'many' is not a number"),
        ("2015-02-26 21:42:53,nan", "not a finite number"),
    ],
)
def test_a_bad_row_is_a_value_error_naming_its_line(tmp_path, line, problem):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,value\n2015-02-26 21:37:53,3\n" + line + "\n")

    with pytest.raises(ValueError, match=f"^line 3: .*{problem}"):
        list(detect_csv(path))


def test_a_bad_header_is_a_value_error_naming_line_one(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [1, 2, 3], header="time,count")

    with pytest.raises(ValueError, match="^line 1: expected header 'timestamp,value'"):
        list(detect_csv(path))


def test_a_missing_second_row_does_not_set_the_detector_to_another_clock(tmp_path):
    values = noisy(600, 100)
    values[500] = 900
    header, first, _, *rest = write_csv(tmp_path / "full.csv", values).read_text().splitlines()
    gapped = tmp_path / "gapped.csv"
    gapped.write_text("\n".join([header, first, *rest]) + "\n")

    assert rows_per_day(read_series(gapped)[0], 24) == 288  # the first two rows alone say 144
    assert [json.loads(line)["timestamp"] for line in detect_csv(gapped)] == [
        f"{START + timedelta(minutes=5 * 500):%Y-%m-%d %H:%M:%S}"
    ]


@given(
    minutes=st.sampled_from([1, 5, 10, 15, 30, 60, 1440]),
    rows=st.integers(3, 300),
    data=st.data(),
)
def test_the_bucket_size_survives_a_few_missing_or_repeated_rows(minutes, rows, data):
    stamps = [f"{START + timedelta(minutes=minutes * i):%Y-%m-%d %H:%M:%S}" for i in range(rows)]
    for _ in range(data.draw(st.integers(0, (rows - 1) // 5), label="damaged rows")):
        at = data.draw(st.integers(1, len(stamps) - 2), label="at")
        if data.draw(st.booleans(), label="repeat"):
            stamps.insert(at, stamps[at])
        else:
            del stamps[at]

    assert rows_per_day(stamps, 7) == max(1, round(24 * 60 / minutes))


def test_the_command_writes_the_documented_json_lines(tmp_path):
    values = noisy(600, 100)
    values[550] = 1000
    path = write_csv(tmp_path / "series.csv", values)

    result = CliRunner().invoke(app, ["spikes", "detect", "--input", str(path)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["timestamp"] for line in lines] == [
        f"{START + timedelta(minutes=5 * 550):%Y-%m-%d %H:%M:%S}"
    ]
    assert lines == list(detect_csv(path))


def test_the_command_reports_a_bad_row_in_one_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,value\n2015-02-26 21:37:53,x\n")

    result = CliRunner().invoke(app, ["spikes", "detect", "--input", str(path)])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {path}: line 2: value 'x' is not a number"


def test_the_command_reports_a_missing_file_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["spikes", "detect", "--input", str(tmp_path / "absent.csv")])

    assert result.exit_code == 2
    assert "absent.csv" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not NAB_DIR.is_dir() or not NAB_SCORE.is_file(), reason="../shared NAB data is absent")
def test_the_nab_scorer_accepts_the_command_and_finds_a_window(tmp_path):
    name = "Twitter_volume_AAPL.csv"
    windows = tmp_path / "windows.json"
    windows.write_text(json.dumps({name: json.loads((NAB_DIR / "windows.json").read_text())[name]}))
    command = [sys.executable, "-m", "monitor", "spikes", "detect", "--input", "{}"]

    run = subprocess.run(
        [sys.executable, str(NAB_SCORE), str(NAB_DIR), "--windows", str(windows), "--", *command],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    total = run.stdout.splitlines()[-1].split()
    assert total[0] == "TOTAL" and float(total[2]) > 0
    assert not total[8].startswith("0/")  # window_recall hit/windows


# --- hourly counts and spikes in the database -----------------------------------------


def make_person(session, name: str = "Vladimir Vorontsov", *, active: bool = True) -> Person:
    person = Person(name=name, active=active)
    session.add(person)
    session.flush()
    return person


def make_source(session, url: str = "https://example.org/feed.xml") -> Source:
    source = Source(url=url, name="Example")
    session.add(source)
    session.flush()
    return source


def make_mentions(session, source: Source, person: Person, hour: datetime, count: int, *, dated: bool = True) -> None:
    """``count`` mentions of ``person`` within ``hour``; undated ones carry only fetched_at."""
    for i in range(count):
        moment = hour + timedelta(minutes=i % 60, seconds=i // 60)
        mention = Mention(
            source_id=source.id,
            guid=f"{person.id}-{moment.isoformat()}-{i}-{dated}",
            published_at=moment if dated else None,
            fetched_at=moment if not dated else moment + timedelta(days=3),
        )
        session.add(mention)
        session.flush()
        session.add(MentionPerson(mention_id=mention.id, person_id=person.id))
    session.flush()


def make_steady_history(session, source, person, *, hours: int, per_hour=(1, 2, 3)) -> None:
    current = live_spikes.floor_hour(NOW)
    for back in range(1, hours + 1):
        make_mentions(session, source, person, current - back * live_spikes.HOUR, per_hour[back % len(per_hour)])


def test_hourly_counts_are_zero_filled_and_bucketed_by_publication_or_fetch_time(settings):
    with db.session_scope(settings.database_url) as session:
        source, alice, bob = make_source(session), make_person(session, "Alice"), make_person(session, "Bob")
        base = datetime(2025, 3, 10, 0, tzinfo=timezone.utc)
        make_mentions(session, source, alice, base + timedelta(hours=1), 2)
        make_mentions(session, source, alice, base + timedelta(hours=3), 1, dated=False)
        make_mentions(session, source, alice, base + timedelta(hours=5), 4)  # outside [start, end)
        make_mentions(session, source, bob, base + timedelta(hours=2), 7)

        counts = hourly_counts(
            session, person_id=alice.id, start=base + timedelta(minutes=30), end=base + timedelta(hours=5)
        )

    assert counts == [0, 2, 0, 1, 0]


def test_a_burst_hour_is_recorded_once_and_returned_only_the_first_time(settings):
    with db.session_scope(settings.database_url) as session:
        source, person = make_source(session), make_person(session)
        make_steady_history(session, source, person, hours=24 * 7, per_hour=(1,))
        make_mentions(session, source, person, live_spikes.floor_hour(NOW), 15)

        first = update_spikes(session, now=NOW)
        second = update_spikes(session, now=NOW + timedelta(minutes=10))

    assert [(s.person_id, s.hour, s.count) for s in first] == [(person.id, live_spikes.floor_hour(NOW), 15)]
    assert first[0].expected == pytest.approx(1, abs=0.3)
    assert re.fullmatch(
        r"15 mentions between 14:00 and 15:00 UTC — 15 stories; usually about \d+ a day", first[0].explanation
    )
    assert second == []


def test_a_recorded_spike_hour_that_grows_is_updated_not_returned_again(settings):
    with db.session_scope(settings.database_url) as session:
        source, person = make_source(session), make_person(session)
        make_mentions(session, source, person, live_spikes.floor_hour(NOW), 10)
        assert len(update_spikes(session, now=NOW)) == 1
        make_mentions(session, source, person, live_spikes.floor_hour(NOW) + timedelta(minutes=40), 6)

        assert update_spikes(session, now=NOW + timedelta(minutes=30)) == []

    with db.session_scope(settings.database_url) as session:
        stored = session.exec(select(Spike)).all()
    assert [(s.hour, s.count) for s in stored] == [(live_spikes.floor_hour(NOW), 16)]


def test_steady_volume_and_inactive_people_are_not_flagged(settings):
    with db.session_scope(settings.database_url) as session:
        source = make_source(session)
        steady, retired = make_person(session, "Steady"), make_person(session, "Retired", active=False)
        make_steady_history(session, source, steady, hours=24 * 14)
        make_mentions(session, source, retired, live_spikes.floor_hour(NOW), 40)

        assert update_spikes(session, now=NOW) == []

    with db.session_scope(settings.database_url) as session:
        assert session.exec(select(Spike)).all() == []


def test_only_spikes_within_the_recent_window_are_recorded(settings):
    with db.session_scope(settings.database_url) as session:
        source, person = make_source(session), make_person(session)
        make_mentions(session, source, person, live_spikes.floor_hour(NOW) - timedelta(hours=72), 20)
        make_mentions(session, source, person, live_spikes.floor_hour(NOW) - timedelta(hours=2), 20)

        recorded = update_spikes(session, now=NOW, recent_hours=48)

    assert [s.hour for s in recorded] == [live_spikes.floor_hour(NOW) - timedelta(hours=2)]


def test_a_burst_over_several_hours_is_recorded_as_one_episode_that_grows(settings):
    current = live_spikes.floor_hour(NOW)
    with db.session_scope(settings.database_url) as session:
        source, person = make_source(session), make_person(session)
        make_steady_history(session, source, person, hours=24 * 7, per_hour=(1,))
        half = timedelta(minutes=30)  # beside the steady history's mentions, in the same hours
        make_mentions(session, source, person, current - 2 * live_spikes.HOUR + half, 12)
        first = update_spikes(session, now=current - 2 * live_spikes.HOUR + half)
        make_mentions(session, source, person, current - live_spikes.HOUR + half, 30)
        make_mentions(session, source, person, current + half, 20)

        assert update_spikes(session, now=NOW) == []

    with db.session_scope(settings.database_url) as session:
        stored = session.exec(select(Spike)).all()
    assert [s.id for s in first] == [s.id for s in stored]
    spike = stored[0]
    assert (spike.hour, spike.peak_at, spike.end_at) == (
        current - 2 * live_spikes.HOUR,
        current - live_spikes.HOUR,
        current,
    )
    assert (spike.peak_count, spike.kind, spike.expected_by_reviewer) == (31, "burst", False)


def test_the_batch_detector_flags_what_the_streaming_one_flags():
    import numpy as np

    from monitor.spikes.batch import detect_many

    rng = random.Random(4)
    matrix = [noisy(24 * 40, rng.choice([0.3, 2, 20, 200]), seed=k) for k in range(12)]
    for row in matrix[::2]:
        row[rng.randrange(100, len(row))] += 60
    params = replace(HOURLY_PARAMS, silence=0)

    batch = detect_many(np.array(matrix), params=params)

    assert batch == [flagged_rows(row, params) for row in matrix]
    assert sum(map(len, batch)) >= 4
