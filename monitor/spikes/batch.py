"""The detector over many series at once (people × buckets), vectorised across people with numpy.

The same recurrences as ``Detector`` (silence breaks aside, phase 0), one numpy step per bucket,
so a year of hourly buckets for a thousand people is a few thousand array operations.
Returns, per series, the indices of the buckets that open an episode.
"""

from __future__ import annotations

import math

import numpy as np

from monitor.spikes.detector import MIN_SCALE, WEEK_DAYS, Params, poisson_sf


def detect_many(counts: np.ndarray, *, params: Params) -> list[list[int]]:
    """Episode-opening bucket indices of each row of ``counts`` (shape: series × buckets)."""
    p = params
    n, t = counts.shape
    slots = max(1, min(p.day_slots, p.rows_per_day))
    x_all = np.log1p(np.maximum(counts, 0).astype(float))
    level = x_all[:, 0].copy()
    day, week = np.zeros((n, slots)), np.zeros((n, WEEK_DAYS))
    var = np.full(n, p.initial_scale**2)
    calm = np.full(n, -1)  # -1: no open episode; else buckets since its last anomaly
    day_max = np.full((n, max(1, p.peak_days)), np.nan)  # ring of recent whole days' highest z
    today_max = np.full(n, -np.inf)
    bar = np.full(n, p.threshold)
    flags: list[list[int]] = [[] for _ in range(n)]
    rows = np.arange(n)
    for i in range(t):
        slot, weekday = (i % p.rows_per_day) * slots // p.rows_per_day, (i // p.rows_per_day) % WEEK_DAYS
        x, value = x_all[:, i], counts[:, i]
        centre = level + day[:, slot] + week[:, weekday]
        scale = np.maximum(np.sqrt(var), MIN_SCALE)
        z = (x - centre) / scale
        if i >= p.warmup:
            mean = np.maximum(np.expm1(centre + scale * scale / 2), 0.0)
            anomalous = (z >= bar) & (value - mean >= p.min_excess)
            for k in np.flatnonzero(anomalous):  # rare: the exact tail only where it matters
                anomalous[k] = poisson_sf(float(value[k]), float(mean[k])) <= p.max_p
            _track(anomalous, calm, flags, rows, i, p.quiet)
        r = np.clip(x - centre, -p.clip * scale, p.clip * scale)
        level += p.level_rate * r
        day[:, slot] += p.season_rate * (1 - p.level_rate) * r
        week[:, weekday] += p.week_rate * r
        var += p.scale_rate * (r * r - var)
        if i >= p.warmup:
            np.maximum(today_max, z, out=today_max)
        if (i + 1) % p.rows_per_day == 0:  # a day ended: it joins the record
            if i >= p.warmup:
                day_max[:, (i // p.rows_per_day) % day_max.shape[1]] = today_max
            today_max[:] = -np.inf
            bar = np.maximum(p.threshold, p.peak_factor * _nanmedian(day_max))
    return flags


def _nanmedian(rows: np.ndarray) -> np.ndarray:
    """Median of each row ignoring NaN (days still in warm-up); 0 for a row with none."""
    known = ~np.isnan(rows).all(axis=1)
    out = np.zeros(len(rows))
    if known.any():
        out[known] = np.nanmedian(rows[known], axis=1)
    return out


def _track(anomalous: np.ndarray, calm: np.ndarray, flags: list[list[int]], rows: np.ndarray, i: int, quiet: int):
    """Open an episode where an anomaly meets none; close those quiet for ``quiet`` buckets."""
    for k in rows[anomalous & (calm < 0)]:
        flags[k].append(i)
    open_ = calm >= 0
    calm[open_ & ~anomalous] += 1
    calm[anomalous] = 0
    calm[calm >= quiet] = -1
