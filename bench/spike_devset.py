"""The spike detector's development set for the sparse regime, generated (never stored).

- ``thinned``: NAB realTweets with each count k replaced by Binomial(k, p): the labelled
  windows stay where NAB's labellers put them while medians fall to 0–10 a bucket.
- ``synthetic``: hourly series at low base rates (0.01–5 a bucket) with a daily and a weekly
  rhythm and over-dispersed noise, with bursts planted at known hours; each burst's window
  runs from a little before it to half a day after, as NAB's windows do.
- ``calm``: the same without bursts, to count false alarms on seasonality alone.

Every series comes from a fixed seed, so a run is reproducible and nothing of
../shared/data is copied into the repository.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

THIN_PS = (0.2, 0.05, 0.02)
SEEDS = (0, 1, 2)
BASE_RATES = (0.01, 0.05, 0.2, 1.0, 5.0)  # mentions per hourly bucket
SYNTHETIC_DAYS = 120
BURSTS_PER_SERIES = 3
WINDOW_BEFORE, WINDOW_AFTER = 6, 12  # hours of a planted burst's window before and after its start


@dataclass
class Series:
    """One scored series: counts, labelled windows as (first row, last row), buckets per day."""

    name: str
    values: list[float]
    windows: list[tuple[int, int]]
    rows_per_day: int = 288


def thinned(series: dict[str, tuple[list[float], list[tuple[int, int]]]], p: float, seed: int) -> list[Series]:
    """Each NAB series with every count k drawn again as Binomial(k, p); the windows unchanged."""
    rng = np.random.default_rng(seed)
    return [
        Series(name, rng.binomial(np.asarray(values, dtype=np.int64), p).astype(float).tolist(), windows)
        for name, (values, windows) in series.items()
    ]


def rhythm(hours: int, base: float) -> np.ndarray:
    """The expected count of each hour: busier by day (peak 15:00) and lower at weekends."""
    hour = np.arange(hours)
    daily = 1 + 0.8 * np.sin(2 * np.pi * ((hour % 24) - 9) / 24)
    weekly = np.where((hour // 24) % 7 >= 5, 0.5, 1.0)
    return base * daily * weekly


def noisy(rate: np.ndarray, rng: np.random.Generator, dispersion: float = 0.3) -> np.ndarray:
    """Negative-binomial counts around ``rate`` (a gamma-mixed Poisson, as real mention counts are)."""
    return rng.poisson(rng.gamma(1 / dispersion, rate * dispersion))


def synthetic(base: float, seed: int, *, bursts: int = BURSTS_PER_SERIES, days: int = SYNTHETIC_DAYS) -> Series:
    """An hourly series at ``base`` mentions an hour with ``bursts`` planted after the first fifth."""
    rng = np.random.default_rng([seed, round(base * 1000)])
    hours = days * 24
    counts = noisy(rhythm(hours, base), rng)
    windows = []
    slots = np.linspace(hours * 0.2, hours - 48, bursts + 1)
    for k in range(bursts):
        start = int(rng.integers(slots[k], slots[k + 1] - 24))
        length = int(rng.integers(2, 7))
        extra = burst_size(base, length)
        counts[start : start + length] += rng.multinomial(extra, [1 / length] * length)
        windows.append((max(0, start - WINDOW_BEFORE), min(hours - 1, start + WINDOW_AFTER)))
    return Series(f"synthetic base {base:g} seed {seed}", counts.astype(float).tolist(), windows, rows_per_day=24)


def burst_size(base: float, hours: int) -> int:
    """Mentions a planted burst adds: several times what the hours would hold, and at least six
    (a burst of two or three mentions is no story for a reviewer)."""
    return max(6, math.ceil(4 * base * hours + 3 * math.sqrt(base * hours)))


def calm(base: float, seed: int, days: int = SYNTHETIC_DAYS) -> Series:
    """The rhythm and noise of ``synthetic`` with no burst: every flag is a false alarm."""
    rng = np.random.default_rng([seed, round(base * 1000), 7])
    return Series(
        f"calm base {base:g} seed {seed}",
        noisy(rhythm(days * 24, base), rng).astype(float).tolist(),
        [],
        rows_per_day=24,
    )
