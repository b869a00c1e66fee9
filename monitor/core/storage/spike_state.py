"""Each series' online detector, stored in ``spikestate`` and fed only the buckets that closed since.

A series is one person's mention volume, all sources together (``source_kind`` "") or
from one kind of source, in buckets of ``bucket_seconds``. Its row holds the detector's
state and ``next_bucket``, the first bucket not yet fed. Saving is a claim: a conditional
UPDATE on the ``next_bucket`` that was loaded (or an INSERT … ON CONFLICT DO NOTHING for
a new series), so when two workers feed the same buckets only one state is kept, and the
loser's verdicts, being the same, change nothing.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import SpikeState
from monitor.core.storage.bulk import insert_ignore
from monitor.spikes.detector import HOURLY_PARAMS, Detector, Params, rescaled

log = logging.getLogger(__name__)

ALL_KINDS = ""  # the source_kind of a person's whole volume
# Bucket positions count from a Monday midnight UTC, so that day and week profiles line up.
EPOCH = datetime(1970, 1, 5, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@dataclass
class Series:
    """One series' detector with where it stands: ``next_bucket`` is the first bucket not yet fed."""

    person_id: int
    source_kind: str
    bucket: timedelta
    detector: Detector
    next_bucket: datetime
    row_id: int | None = None  # None until the state is first stored
    loaded_next: datetime | None = None  # next_bucket as loaded: the claim's condition
    restarted: bool = False  # its stored state was unreadable: it learns afresh and is stored over it

    def feed(self, counts: dict[int, int], until: datetime) -> None:
        """Feed the buckets from ``next_bucket`` up to ``until`` (exclusive); ``counts`` by bucket number."""
        for number in range(bucket_number(self.next_bucket, self.bucket), bucket_number(until, self.bucket)):
            self.detector.update(counts.get(number, 0))
        self.next_bucket = max(self.next_bucket, until)

    def leading_empty(self, counts: dict[int, int], until: datetime) -> int:
        """How many buckets from ``next_bucket`` up to ``until`` come before the first with a mention."""
        first, end = bucket_number(self.next_bucket, self.bucket), bucket_number(until, self.bucket)
        busy = [number for number, count in counts.items() if count and first <= number < end]
        return max(0, min(busy, default=end) - first)

    def time_of(self, index: int) -> datetime:
        """The start of the bucket the detector saw as its ``index``-th."""
        return EPOCH + (self.detector.phase + index) * self.bucket


def bucket_number(moment: datetime, bucket: timedelta) -> int:
    """Buckets from EPOCH to the one holding ``moment`` (naive times are UTC)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // bucket


def floor_bucket(moment: datetime, bucket: timedelta) -> datetime:
    """The start of the bucket holding ``moment``."""
    return EPOCH + bucket_number(moment, bucket) * bucket


def params_for_bucket(params: Params, bucket: timedelta) -> Params:
    """``params`` (written for some bucket size) rescaled to ``bucket``."""
    return rescaled(params, max(1, DAY // bucket))


def load_series(
    session: Session, *, keys: list[tuple[int, str]], bucket: timedelta, params: Params, start: datetime
) -> list[Series]:
    """The stored series for ``keys`` (person id, source kind); a new one starts at ``start``."""
    seconds = int(bucket.total_seconds())
    rows = session.exec(select(SpikeState).where(SpikeState.bucket_seconds == seconds)).all()
    stored = {(row.person_id, row.source_kind): row for row in rows}
    series = []
    for person_id, kind in keys:
        row = stored.get((person_id, kind))
        detector = _restored(row, params) if row is not None else None
        if detector is not None:
            series.append(Series(person_id, kind, bucket, detector, row.next_bucket, row.id, row.next_bucket))
            continue
        first = floor_bucket(start, bucket)
        fresh = Series(person_id, kind, bucket, Detector(params, phase=bucket_number(first, bucket)), first)
        if row is not None:  # learns the lookback afresh, then is stored over the unreadable state
            fresh.row_id, fresh.loaded_next, fresh.restarted = row.id, row.next_bucket, True
        series.append(fresh)
    return series


def _restored(row: SpikeState, params: Params) -> Detector | None:
    """The stored detector, or None (logged) where its state cannot be read: one damaged row
    (an old backup, a hand edit) must not stop every person's spikes, nor a NaN in it silence
    this one's for good. The log names the row, never the person."""
    try:
        if not _numbers(row.state):
            raise ValueError("a value in it is not a finite number")
        return Detector.restore(row.state, params)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        log.error("spike state %s unreadable (%s: %s); the series learns afresh", row.id, type(error).__name__, error)
        return None


def _numbers(value, key: str = "") -> bool:
    """Whether every value of a stored state is a finite number, a flag or None (text only
    in an episode's ``kind``): what ``Detector.state`` writes."""
    if isinstance(value, dict):
        return all(_numbers(v, k) for k, v in value.items())
    if isinstance(value, list):
        return all(_numbers(v) for v in value)
    if isinstance(value, str):
        return key == "kind"
    return value is None or isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def skip_quiet_starts(series: list[Series], counts: dict[tuple[int, str], dict[int, int]], until: datetime) -> None:
    """Move each new series past its empty buckets before ``until`` at once, as feeding them would.

    A new series learns from the whole lookback, mostly empty buckets: a fresh detector fed
    N empty buckets from one phase ends in one state whoever it belongs to, so it is run once
    per (params, phase) and each series restored from its snapshot at its own N (the first
    refresh of a thousand people fed the same 336 empty hours a thousand times: issue 15).
    ``counts`` is by (person id, source kind), then bucket number, as ``Series.feed`` takes.
    """
    waiting: dict[tuple[Params, int], dict[int, list[Series]]] = {}
    for one in series:
        if one.row_id is None and one.detector.seen == 0:
            empty = one.leading_empty(counts.get((one.person_id, one.source_kind), {}), until)
            key = (one.detector.params, one.detector.phase)
            waiting.setdefault(key, {}).setdefault(empty, []).append(one)
    for (params, phase), by_length in waiting.items():
        _restore_from_one_run(Detector(params, phase=phase), by_length)


def _restore_from_one_run(runner: Detector, by_length: dict[int, list[Series]]) -> None:
    for length in sorted(by_length):
        while runner.seen < length:
            runner.update(0)
        if runner.episodes:
            return  # empty buckets flagged something (params that allow it): the rest are fed one by one
        if length == 0:
            continue
        state = runner.state()
        for one in by_length[length]:
            one.detector = Detector.restore(state, runner.params)
            one.next_bucket += length * one.bucket


def save_series(session: Session, series: Series, *, now: datetime) -> bool:
    """Store the series' state if no other process moved it on first; True when stored."""
    return save_all(session, [series], now=now) == 1


def save_all(session: Session, series: list[Series], *, now: datetime) -> int:
    """Store each series' state where no other process moved it on first; how many were stored.

    New series go in one INSERT … ON CONFLICT DO NOTHING (a first refresh makes thousands);
    stored ones are claimed one by one, each UPDATE conditional on the ``next_bucket`` loaded.
    """
    new = [_new_row(one, now) for one in series if one.row_id is None]
    stored = len(insert_ignore(session, SpikeState, new, keys=["person_id", "source_kind", "bucket_seconds"]))
    return stored + sum(_claim(session, one, now) for one in series if one.row_id is not None)


def _new_row(series: Series, now: datetime) -> dict:
    return dict(
        person_id=series.person_id,
        source_kind=series.source_kind,
        bucket_seconds=int(series.bucket.total_seconds()),
        state=series.detector.state(),
        next_bucket=series.next_bucket,
        updated_at=now,
    )


def _claim(session: Session, series: Series, now: datetime) -> bool:
    if series.next_bucket == series.loaded_next and not series.restarted:
        return True  # no bucket closed since: nothing to store
    claimed = session.execute(
        sa.update(SpikeState)
        .where(SpikeState.id == series.row_id, SpikeState.next_bucket == series.loaded_next)
        .values(state=series.detector.state(), next_bucket=series.next_bucket, updated_at=now)
    )
    return claimed.rowcount == 1


@dataclass(frozen=True)
class Usual:
    """What a person's stored count model expects per day, Monday to Sunday, the over-dispersion
    of its longest window, and the first day it learnt from (before it, it expected nothing)."""

    per_weekday: list[float]
    dispersion: float
    since: date


def usual_days(session: Session, *, person_id: int, bucket: timedelta, params: Params = HOURLY_PARAMS) -> Usual | None:
    """The person's whole-volume series' ``Usual``; None before it has learnt from a bucket, or where
    its stored state cannot be read (logged, as a refresh logs it; the page shows no band rather
    than failing, and the next refresh relearns the series)."""
    row = session.exec(
        select(SpikeState).where(
            SpikeState.person_id == person_id,
            SpikeState.source_kind == ALL_KINDS,
            SpikeState.bucket_seconds == int(bucket.total_seconds()),
        )
    ).first()
    detector = _restored(row, params_for_bucket(params, bucket)) if row is not None else None
    if detector is None or detector.counts.level is None:
        return None
    counts = detector.counts
    per_day = counts.daily_mean * (DAY / bucket)
    week_mean = max(counts.week_sum / 7, 1e-9)
    since = (EPOCH + detector.phase * bucket).date()
    return Usual([per_day * w / week_mean for w in counts.week], counts.phi[-1], since)
