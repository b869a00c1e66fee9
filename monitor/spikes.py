"""Spike detection: a causal detector over evenly spaced counts, and hourly spikes per person.

The detector is streaming and causal: whether row t is flagged depends only on rows up
to t, as in a live monitor. For each row it compares the value with a robust baseline of
the trailing window (the current row excluded)::

    expected = median(last `window` rows)
    spread   = max(IQR / 1.349, sqrt(expected), min_spread)   # robust sigma, Poisson floor
    score    = (value - expected) / spread

and flags the row when ``score >= threshold`` and ``value >= expected + min_excess``,
after a warm-up, and not within ``cooldown`` rows of the previous flag. With
``log_scale`` the median, IQR and score are taken on log1p(value), without the Poisson
floor; ``expected`` is still reported (and ``min_excess`` judged) in counts. Two parameter
sets are named: ``SERIES_PARAMS`` for ``monitor spikes detect`` (5-minute mention
volume such as NAB realTweets) and ``HOURLY_PARAMS`` for the live per-person series.

``update_spikes`` runs the detector over each active person's zero-filled hourly counts
and records flagged hours idempotently (``ON CONFLICT DO NOTHING`` on (person, hour)).
"""

from __future__ import annotations

import csv
import json
import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.models import Mention, MentionPerson, Person, Spike
from monitor.store import insert_ignore

IQR_TO_SIGMA = 1.349  # the IQR of a normal distribution in standard deviations
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
CSV_HEADER = ["timestamp", "value"]
HOUR = timedelta(hours=1)
DEFAULT_LOOKBACK_HOURS = 14 * 24
DEFAULT_RECENT_HOURS = 48


@dataclass(frozen=True)
class Params:
    """Detector parameters; see the module docstring for how they combine."""

    window: int = 288  # trailing rows in the baseline
    warmup: int = 48  # rows seen before any row may be flagged
    threshold: float = 6.0  # minimum score
    min_excess: float = 5.0  # minimum value - expected, in counts
    min_spread: float = 1.0  # floor of the spread, so a flat series does not flag noise
    cooldown: int = 0  # rows after a flag in which nothing is flagged
    log_scale: bool = False  # score log1p(value): bursts are multiplicative in busy series


# 5-minute mention volume (NAB realTweets): a three-day baseline on the log scale, where
# the day's rhythm and a story's burst are both ratios; one alert per burst (a day's
# cooldown), because every extra flagged row is a false alarm to whoever reads them.
SERIES_PARAMS = Params(
    window=3 * 288, warmup=288, threshold=5.0, min_excess=10.0, min_spread=0.05, cooldown=288, log_scale=True
)
# Hourly counts of one person: a week's baseline, every hour of a burst is its own spike;
# a person with no history flags from ~8 mentions an hour, never from 0 -> 1.
HOURLY_PARAMS = Params(window=7 * 24, warmup=1, threshold=5.0, min_excess=8.0, cooldown=0)


@dataclass(frozen=True)
class Flag:
    """A flagged row: its index in the series, its value, the baseline and the score."""

    index: int
    value: float
    expected: float
    score: float


class Detector:
    """The streaming detector: feed values in order with ``update``."""

    def __init__(self, params: Params = SERIES_PARAMS) -> None:
        self.params = params
        self._recent: deque[float] = deque()
        self._sorted: list[float] = []
        self._seen = 0
        self._last_flag: int | None = None

    def update(self, value: float) -> Flag | None:
        """Score ``value`` against the rows before it, then add it to the baseline."""
        flag = self._judge(value)
        if flag is not None:
            self._last_flag = self._seen
        self._remember(value)
        return flag

    def _judge(self, value: float) -> Flag | None:
        p = self.params
        if self._seen < p.warmup or self._cooling():
            return None
        centre, spread = self._baseline()
        score = (self._scale(value) - centre) / max(spread, p.min_spread)
        expected = math.expm1(centre) if p.log_scale else centre
        if score >= p.threshold and value - expected >= p.min_excess:
            return Flag(self._seen, value, expected, score)
        return None

    def _scale(self, value: float) -> float:
        return math.log1p(max(value, 0.0)) if self.params.log_scale else value

    def _cooling(self) -> bool:
        return self._last_flag is not None and self._seen - self._last_flag <= self.params.cooldown

    def _baseline(self) -> tuple[float, float]:
        """Median and robust spread of the trailing (scaled) window; zeros before any history.

        On the linear scale the spread is at least the Poisson sigma sqrt(median), so a
        quiet series whose last rows happen to be equal does not flag its next small rise.
        """
        s = self._sorted
        if not s:
            return 0.0, 0.0
        centre = _quantile(s, 0.5)
        spread = (_quantile(s, 0.75) - _quantile(s, 0.25)) / IQR_TO_SIGMA
        if not self.params.log_scale:
            spread = max(spread, math.sqrt(max(centre, 0.0)))
        return centre, spread

    def _remember(self, value: float) -> None:
        self._seen += 1
        value = self._scale(value)
        self._recent.append(value)
        insort(self._sorted, value)
        if len(self._recent) > self.params.window:
            old = self._recent.popleft()
            del self._sorted[bisect_left(self._sorted, old)]


def _quantile(ordered: list[float], q: float) -> float:
    """Linear-interpolated quantile of an ascending, non-empty list."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def detect(values: Sequence[float], *, params: Params = SERIES_PARAMS) -> list[Flag]:
    """Every flagged row of ``values``; causal, so flags of a prefix are a prefix of these."""
    detector = Detector(params)
    return [flag for value in values if (flag := detector.update(value)) is not None]


def read_series(path: str | Path) -> tuple[list[str], list[float]]:
    """Timestamps (as written) and values of a ``timestamp,value`` CSV.

    Raises ValueError naming the line of a bad header or row.
    """
    stamps: list[str] = []
    values: list[float] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if [h.strip().lower() for h in header or []] != CSV_HEADER:
            raise ValueError(f"line 1: expected header 'timestamp,value', got {','.join(header or [])!r}")
        for row in reader:
            if row:
                stamp, value = _parse_row(row, reader.line_num)
                stamps.append(stamp)
                values.append(value)
    return stamps, values


def _parse_row(row: list[str], line: int) -> tuple[str, float]:
    if len(row) != 2:
        raise ValueError(f"line {line}: expected 2 fields (timestamp,value), got {len(row)}")
    stamp, raw = row[0].strip(), row[1].strip()
    try:
        datetime.strptime(stamp, TIMESTAMP_FORMAT)
    except ValueError:
        raise ValueError(f"line {line}: timestamp {stamp!r} is not YYYY-MM-DD HH:MM:SS") from None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"line {line}: value {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"line {line}: value {raw!r} is not a finite number")
    return stamp, value


def detect_csv(path: str | Path, *, params: Params = SERIES_PARAMS) -> Iterator[str]:
    """One JSON line ``{"timestamp", "value", "expected", "score"}`` per flagged row of a CSV.

    The whole file is validated before the first line is yielded, so a bad row never
    leaves half an output behind.
    """
    stamps, values = read_series(path)
    for flag in detect(values, params=params):
        record = {
            "timestamp": stamps[flag.index],
            "value": _number(flag.value),
            "expected": _number(flag.expected),
            "score": round(flag.score, 3),
        }
        yield json.dumps(record)


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 3)


def floor_hour(moment: datetime) -> datetime:
    """The start of the UTC hour containing ``moment`` (naive times are taken as UTC)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def hourly_counts(session: Session, *, person_id: int, start: datetime, end: datetime) -> list[int]:
    """Mentions of a person per UTC hour from the hour of ``start`` up to ``end`` (exclusive).

    A mention counts in the hour it was published, or fetched when the feed gave no date.
    Hours without mentions are 0, so the list is evenly spaced as the detector needs.
    """
    first = floor_hour(start)
    return _bucket(_mention_times(session, [person_id], first, end).get(person_id, []), first, end)


def _mention_times(
    session: Session, person_ids: list[int], start: datetime, end: datetime
) -> dict[int, list[datetime]]:
    """When each person's mentions in [start, end) happened, by person id."""
    when = sa.func.coalesce(Mention.published_at, Mention.fetched_at).label("when")
    statement = (
        sa.select(MentionPerson.person_id, when)
        .join(Mention, Mention.id == MentionPerson.mention_id)
        .where(MentionPerson.person_id.in_(person_ids), when >= start, when < end)
    )
    times: dict[int, list[datetime]] = {}
    for person_id, moment in session.execute(statement):
        times.setdefault(person_id, []).append(moment)
    return times


def _bucket(times: list[datetime], first: datetime, end: datetime) -> list[int]:
    hours = max(0, math.ceil((end - first) / HOUR))
    counts = [0] * hours
    for moment in times:
        slot = (floor_hour(moment) - first) // HOUR
        if 0 <= slot < hours:
            counts[slot] += 1
    return counts


def update_spikes(
    session: Session,
    *,
    now: datetime,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
    recent_hours: int = DEFAULT_RECENT_HOURS,
    params: Params = HOURLY_PARAMS,
) -> list[Spike]:
    """Record the spike hours of every active person; return only the newly recorded ones.

    Each person's zero-filled hourly counts over ``lookback_hours`` up to and including the
    current, incomplete hour go through the detector, so a burst is flagged while it
    happens. Flagged hours within the last ``recent_hours`` are inserted with ON CONFLICT
    DO NOTHING on (person, hour); an hour already recorded whose count has since grown is
    updated in place and not returned again. Safe to run concurrently and repeatedly.
    """
    end = floor_hour(now) + HOUR
    first = end - lookback_hours * HOUR
    person_ids = list(session.exec(select(Person.id).where(Person.active == sa.true()).order_by(Person.id)))
    times = _mention_times(session, person_ids, first, end)
    rows = []
    for person_id in person_ids:
        counts = _bucket(times.get(person_id, []), first, end)
        rows += _spike_rows(person_id, counts, first, now, recent_hours, params)
    inserted = insert_ignore(session, Spike, rows, keys=["person_id", "hour"])
    _refresh_grown(session, rows)
    session.flush()
    return list(session.exec(select(Spike).where(Spike.id.in_(inserted)).order_by(Spike.hour, Spike.person_id)))


def _spike_rows(person_id: int, counts: list[int], first: datetime, now: datetime, recent: int, params: Params):
    """Spike rows for the flagged hours among the last ``recent`` of ``counts``."""
    return [
        dict(
            person_id=person_id,
            hour=first + flag.index * HOUR,
            count=int(flag.value),
            expected=round(flag.expected, 3),
            score=round(flag.score, 3),
            detected_at=now,
        )
        for flag in detect(counts, params=params)
        if flag.index >= len(counts) - recent
    ]


def _refresh_grown(session: Session, rows: list[dict]) -> None:
    """Raise the stored count of spike hours that have grown; a conditional UPDATE per row."""
    for row in rows:
        session.execute(
            sa.update(Spike)
            .where(Spike.person_id == row["person_id"], Spike.hour == row["hour"], Spike.count < row["count"])
            .values(count=row["count"], expected=row["expected"], score=row["score"])
        )
