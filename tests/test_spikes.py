"""The causal spike detector, ``monitor spikes detect`` and hourly spikes per person."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from monitor import db, spikes
from monitor.cli import app
from monitor.models import Mention, MentionPerson, Person, Source, Spike
from monitor.spikes import HOURLY_PARAMS, SERIES_PARAMS, Detector, Params, detect, detect_csv, hourly_counts, update_spikes

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
NAB_DIR = SHARED / "data" / "nab-realtweets"
NAB_SCORE = SHARED / "tools" / "nab_score.py"
NOW = datetime(2025, 3, 10, 14, 25, tzinfo=timezone.utc)
START = datetime(2025, 3, 1, 0, 0, 5)


def noisy(n: int, level: float, seed: int = 7) -> list[int]:
    """A steady series: ``level`` plus Poisson-like noise, reproducible."""
    rng = random.Random(seed)
    return [max(0, round(rng.gauss(level, level**0.5))) for _ in range(n)]


def flagged_rows(values, params: Params = SERIES_PARAMS) -> list[int]:
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


def test_each_row_of_a_burst_is_flagged_without_cooldown():
    values = noisy(600, 100)
    values[500:503] = [900] * 3

    assert flagged_rows(values, replace(SERIES_PARAMS, cooldown=0)) == [500, 501, 502]


def test_cooldown_suppresses_flags_until_it_has_passed():
    params = replace(SERIES_PARAMS, cooldown=50)
    values = noisy(700, 100)
    values[400] = values[430] = values[460] = 900

    assert flagged_rows(values, params) == [400, 460]


def test_flags_of_a_prefix_are_the_full_series_flags_within_that_prefix():
    values = noisy(1500, 50, seed=3)
    for start in (400, 700, 720, 1200):
        values[start : start + 5] = [400] * 5
    full = flagged_rows(values)
    assert len(full) >= 3

    for cut in (300, 401, 702, 721, 1000, 1201, 1500):
        assert flagged_rows(values[:cut]) == [i for i in full if i < cut]


def test_the_streaming_detector_agrees_with_detect():
    values = noisy(800, 20)
    values[500] = 300
    detector = Detector(SERIES_PARAMS)

    streamed = [flag for v in values if (flag := detector.update(v))]

    assert streamed == detect(values, params=SERIES_PARAMS)


def test_nothing_is_flagged_during_warm_up():
    values = [10] * 100 + [1000] + [10] * 100
    params = Params(window=50, warmup=150, threshold=5, min_excess=5)

    assert flagged_rows(values, params) == []
    assert flagged_rows(values, replace(params, warmup=20)) == [100]


def test_a_rise_smaller_than_min_excess_is_not_flagged():
    values = [0] * 50 + [4]

    assert flagged_rows(values, Params(warmup=10, threshold=3, min_excess=5)) == []
    assert flagged_rows(values, Params(warmup=10, threshold=3, min_excess=4)) == [50]


def test_hourly_params_flag_a_jump_from_one_to_fifteen_an_hour():
    assert flagged_rows([1] * 200 + [15], HOURLY_PARAMS) == [200]


def test_hourly_params_do_not_flag_a_steady_one_to_three_an_hour():
    rng = random.Random(1)
    assert flagged_rows([rng.randint(1, 3) for _ in range(24 * 30)], HOURLY_PARAMS) == []


def test_hourly_params_flag_ten_mentions_of_someone_never_mentioned_before():
    assert flagged_rows([0] * 300 + [10], HOURLY_PARAMS) == [300]
    assert flagged_rows([0, 10], HOURLY_PARAMS) == [1]


def test_hourly_params_do_not_flag_a_first_mention():
    assert flagged_rows([0] * 300 + [1, 2, 1], HOURLY_PARAMS) == []


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


def test_the_command_writes_the_documented_json_lines(tmp_path):
    values = noisy(600, 100)
    values[550] = 1000
    path = write_csv(tmp_path / "series.csv", values)

    result = CliRunner().invoke(app, ["spikes", "detect", "--input", str(path)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["timestamp"] for line in lines] == [f"{START + timedelta(minutes=5 * 550):%Y-%m-%d %H:%M:%S}"]
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
        capture_output=True, text=True, cwd=REPO, timeout=120,
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
    current = spikes.floor_hour(NOW)
    for back in range(1, hours + 1):
        make_mentions(session, source, person, current - back * spikes.HOUR, per_hour[back % len(per_hour)])


def test_hourly_counts_are_zero_filled_and_bucketed_by_publication_or_fetch_time(settings):
    with db.session_scope(settings.database_url) as session:
        source, alice, bob = make_source(session), make_person(session, "Alice"), make_person(session, "Bob")
        base = datetime(2025, 3, 10, 0, tzinfo=timezone.utc)
        make_mentions(session, source, alice, base + timedelta(hours=1), 2)
        make_mentions(session, source, alice, base + timedelta(hours=3), 1, dated=False)
        make_mentions(session, source, alice, base + timedelta(hours=5), 4)  # outside [start, end)
        make_mentions(session, source, bob, base + timedelta(hours=2), 7)

        counts = hourly_counts(session, person_id=alice.id, start=base + timedelta(minutes=30), end=base + timedelta(hours=5))

    assert counts == [0, 2, 0, 1, 0]


def test_a_burst_hour_is_recorded_once_and_returned_only_the_first_time(settings):
    with db.session_scope(settings.database_url) as session:
        source, person = make_source(session), make_person(session)
        make_steady_history(session, source, person, hours=24 * 7, per_hour=(1,))
        make_mentions(session, source, person, spikes.floor_hour(NOW), 15)

        first = update_spikes(session, now=NOW)
        second = update_spikes(session, now=NOW + timedelta(minutes=10))

    assert [(s.person_id, s.hour, s.count) for s in first] == [(person.id, spikes.floor_hour(NOW), 15)]
    assert first[0].expected == 1 and first[0].score >= HOURLY_PARAMS.threshold
    assert second == []


def test_a_recorded_spike_hour_that_grows_is_updated_not_returned_again(settings):
    with db.session_scope(settings.database_url) as session:
        source, person = make_source(session), make_person(session)
        make_mentions(session, source, person, spikes.floor_hour(NOW), 10)
        assert len(update_spikes(session, now=NOW)) == 1
        make_mentions(session, source, person, spikes.floor_hour(NOW) + timedelta(minutes=40), 6)

        assert update_spikes(session, now=NOW + timedelta(minutes=30)) == []

    with db.session_scope(settings.database_url) as session:
        stored = session.exec(select(Spike)).all()
    assert [(s.hour, s.count) for s in stored] == [(spikes.floor_hour(NOW), 16)]


def test_steady_volume_and_inactive_people_are_not_flagged(settings):
    with db.session_scope(settings.database_url) as session:
        source = make_source(session)
        steady, retired = make_person(session, "Steady"), make_person(session, "Retired", active=False)
        make_steady_history(session, source, steady, hours=24 * 14)
        make_mentions(session, source, retired, spikes.floor_hour(NOW), 40)

        assert update_spikes(session, now=NOW) == []

    with db.session_scope(settings.database_url) as session:
        assert session.exec(select(Spike)).all() == []


def test_only_spikes_within_the_recent_window_are_recorded(settings):
    with db.session_scope(settings.database_url) as session:
        source, person = make_source(session), make_person(session)
        make_mentions(session, source, person, spikes.floor_hour(NOW) - timedelta(hours=72), 20)
        make_mentions(session, source, person, spikes.floor_hour(NOW) - timedelta(hours=2), 20)

        recorded = update_spikes(session, now=NOW, recent_hours=48)

    assert [s.hour for s in recorded] == [spikes.floor_hour(NOW) - timedelta(hours=2)]
