"""The detector over many series at once (people × buckets), vectorised across people with numpy.

The same recurrences as ``Detector`` (silence breaks aside, phase 0; the count model is
``batch_counts``), one numpy step per bucket,
so a year of hourly buckets for a thousand people is a few thousand array operations.
Returns, per series, the indices of the buckets that open an episode.
"""

from __future__ import annotations

import numpy as np

from monitor.spikes.batch_counts import CountsBatch
from monitor.spikes.detector import MIN_SCALE, WEEK_DAYS, Params, hour_buckets, poisson_sf

BLOCK = 512  # buckets turned time-major at a time, so that a step reads whole rows


def detect_many(counts: np.ndarray, *, params: Params) -> list[list[int]]:
    """Episode-opening bucket indices of each row of ``counts`` (shape: series × buckets)."""
    batch = _Batch(len(counts), params)
    with np.errstate(divide="ignore", invalid="ignore"):  # masked by np.where in the count model
        _run(batch, counts)
    return batch.flags


def _run(batch: _Batch, counts: np.ndarray) -> None:
    for start in range(0, counts.shape[1], BLOCK):
        # order="C": a transposed copy keeps the series-major layout by default, and a bucket's
        # row would then be read 4 KB a number, missing the cache on every array operation.
        values = counts[:, start : start + BLOCK].T.astype(float, order="C")
        np.maximum(values, 0.0, out=values)
        for offset, (x, value) in enumerate(zip(np.log1p(values), values)):
            batch.step(start + offset, x, value)


class _Batch:
    """The state of ``n`` detectors as arrays, one entry per series. A step costs about twenty
    array operations on ``n`` numbers, so their count, not the arithmetic, sets the speed."""

    def __init__(self, n: int, p: Params) -> None:
        self.p, self.slots = p, max(1, min(p.day_slots, p.rows_per_day))
        self.level: np.ndarray | None = None
        self.day, self.week = np.zeros((self.slots, n)), np.zeros((WEEK_DAYS, n))
        self.var = np.full(n, p.initial_scale**2)
        self.calm = np.full(n, -1)  # -1: no open episode; else buckets since its last anomaly
        self.strongest = np.zeros(n)  # the open episode's highest surprise
        self.strongest_at = np.zeros(n, dtype=int)  # ... and where it was reached
        self.runs = np.zeros((3, n))  # the open episode's earlier runs' and current run's strongest, last anomaly
        self.open_episodes = 0
        # Rings of recent whole days' highest z and surprise, one row a day: a day's write is
        # one contiguous row, and the median sorts along the days of every series at once.
        self.day_max = np.full((max(1, p.peak_days), n), np.nan)
        self.today_max = np.full(n, -np.inf)
        self.bar = np.full(n, p.threshold)
        self.flags: list[list[int]] = [[] for _ in range(n)]
        self.counts = CountsBatch(n, p, self.slots)
        self.scan_day_max = np.full((max(1, p.peak_days), n), np.nan)
        self.today_scan_max = np.full(n, -np.inf)
        self.scan_bar = np.full(n, p.scan_threshold)
        self.streak = np.zeros(n)  # buckets in a row, up to the last, at the onset bar (``Detector.streak``)
        self.centre, self.scale, self.r, self.bound = (np.empty(n) for _ in range(4))
        self.season_rate = p.season_rate * (1 - p.level_rate)

    def step(self, i: int, x: np.ndarray, value: np.ndarray) -> None:
        """Judge bucket ``i`` (log counts ``x``, counts ``value``) against the baseline, then learn it."""
        p, centre, scale, r, bound = self.p, self.centre, self.scale, self.r, self.bound
        if self.level is None:
            self.level = x.copy()
            self.counts.start(value)
        slot, weekday = (i % p.rows_per_day) * self.slots // p.rows_per_day, (i // p.rows_per_day) % WEEK_DAYS
        mu, ratio, week_ratio = self.counts.rate(slot, weekday)
        np.add(self.level, self.day[slot], out=centre)
        centre += self.week[weekday]
        np.sqrt(self.var, out=scale)
        np.maximum(scale, MIN_SCALE, out=scale)
        np.subtract(x, centre, out=r)  # the residual; r / scale is the bucket's z
        if i >= p.warmup:
            z = r / scale
            surprise = self.counts.judge(value, mu)
            scanned = surprise >= self.scan_bar
            if p.onset_run:
                scanned |= self._onset(surprise, mu)
            candidates = (z >= self.bar) & (value >= p.min_excess) & ~scanned  # the excess is at most the count
            if self.open_episodes or candidates.any() or scanned.any():
                self._judge(i, candidates.nonzero()[0], value, scanned, surprise, mu)
            np.maximum(self.today_max, z, out=self.today_max)
            np.maximum(self.today_scan_max, surprise, out=self.today_scan_max)
        np.multiply(scale, p.clip, out=bound)  # winsorise before learning
        np.minimum(r, bound, out=r)
        np.negative(bound, out=bound)
        np.maximum(r, bound, out=r)
        self.level += p.level_rate * r
        self.day[slot] += self.season_rate * r
        self.week[weekday] += p.week_rate * r
        self.var += p.scale_rate * (r * r - self.var)
        self.counts.learn(value, mu, ratio, week_ratio, slot, weekday)
        if (i + 1) % p.rows_per_day == 0:
            self._end_day(i)

    def _onset(self, surprise: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Series whose bucket ends a sustained rise (``Detector._onset_level``); counts the streaks."""
        p = self.p
        level = (mu < p.onset_below) & (surprise > 0) & (surprise >= p.onset_factor * self.scan_bar)
        self.streak += 1
        self.streak[~level] = 0
        return self.streak >= p.onset_run

    def _judge(
        self,
        i: int,
        candidates: np.ndarray,
        value: np.ndarray,
        scanned: np.ndarray,
        surprise: np.ndarray,
        mu: np.ndarray,
    ) -> None:
        """Series over the count model's bar are anomalous; so are those whose z is over the bar
        with enough excess and an improbable count; then episodes open and close."""
        p = self.p
        spread = self.scale[candidates]
        mean = np.maximum(np.expm1(self.centre[candidates] + spread * spread / 2), 0.0)
        anomalous = scanned.copy()
        for k, m in zip(candidates, mean):
            if value[k] - m >= p.min_excess:  # rare: the exact tail only where it can matter
                anomalous[k] = poisson_sf(float(value[k]), float(m)) <= p.max_p
        _track(anomalous, self.calm, self.flags, i, p, surprise, mu, self.strongest, self.strongest_at, self.runs)
        self.open_episodes = int(np.count_nonzero(self.calm >= 0))

    def _end_day(self, i: int) -> None:
        """A day ended: its highest z joins the record, and the bar follows the usual peak."""
        p = self.p
        if i >= p.warmup:
            self.day_max[(i // p.rows_per_day) % len(self.day_max)] = self.today_max
            self.scan_day_max[(i // p.rows_per_day) % len(self.scan_day_max)] = self.today_scan_max
        self.today_max[:] = self.today_scan_max[:] = -np.inf
        self.bar = np.maximum(p.threshold, p.peak_factor * _nanquantile(np.sort(self.day_max, axis=0), 0.5))
        scan_days = np.sort(self.scan_day_max, axis=0)
        usual = p.scan_peak_factor * _nanquantile(scan_days, 0.5)
        busy = self.counts.day_sum / self.slots >= p.busy_from  # ``Detector._set_bars``
        if busy.any():
            usual = np.where(busy, np.maximum(usual, p.busy_factor * _nanquantile(scan_days, p.busy_quantile)), usual)
        self.scan_bar = np.maximum(p.scan_threshold, usual)


def _nanquantile(ordered: np.ndarray, quantile: float) -> np.ndarray:
    """``quantile`` of each column (one series' days, sorted, NaN last: days still in warm-up
    left out), linear between ranks as ``usual_peak``; 0 for a column with none.

    np.nanquantile goes through masked arrays and costs more than the rest of a day's steps;
    once the ring is full (no NaN) every column's rank is the same two rows."""
    if not np.isnan(ordered[-1]).any():
        at = quantile * (len(ordered) - 1)
        low = int(at)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (at - low) * (ordered[high] - ordered[low])
    known = (~np.isnan(ordered)).sum(axis=0)
    at = quantile * np.maximum(known - 1, 0)
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, np.maximum(known - 1, 0))
    below = np.take_along_axis(ordered, low[None, :], axis=0)[0]
    above = np.take_along_axis(ordered, high[None, :], axis=0)[0]
    return np.where(known > 0, below + (at - low) * (above - below), 0.0)


def _track(
    anomalous: np.ndarray,
    calm: np.ndarray,
    flags: list[list[int]],
    i: int,
    p: Params,
    surprise: np.ndarray,
    mu: np.ndarray,
    strongest: np.ndarray,
    strongest_at: np.ndarray,
    runs: np.ndarray,
):
    """Open an episode where an anomaly meets none or escalates the open one (``Detector._escalates``);
    close those quiet for ``quiet`` buckets."""
    earlier, run, last = runs
    opened = anomalous & (calm < 0)
    inside = anomalous & (calm >= 0)
    fresh = inside & (i - last > hour_buckets(p))  # a new run of the open episode (``Detector._next_run``)
    earlier[fresh], run[fresh] = np.maximum(earlier[fresh], run[fresh]), 0.0
    if p.escalate:
        stronger = (surprise >= p.escalate * np.maximum(strongest, p.scan_threshold)) & (mu >= p.escalate_from)
        opened |= inside & stronger & (i - strongest_at > hour_buckets(p))
    if p.escalate_run:
        opened |= inside & (earlier > 0) & (surprise >= p.escalate_run * np.maximum(earlier, p.scan_threshold))
    for k in opened.nonzero()[0]:
        flags[k].append(i)
    grown = opened | (anomalous & (surprise > strongest))
    strongest[grown], strongest_at[grown] = surprise[grown], i
    earlier[opened], run[opened] = 0.0, 0.0
    np.maximum(run, np.where(anomalous, surprise, 0.0), out=run)
    last[anomalous] = i
    open_ = calm >= 0
    calm[open_ & ~anomalous] += 1
    calm[anomalous] = 0
    calm[calm >= p.quiet] = -1
