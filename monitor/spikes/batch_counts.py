"""``countmodel.CountModel`` for many series at once: the same recurrences on numpy arrays.

The window sums live in a ring of the last buckets whose unwritten slots are zero
(subtracting them changes nothing, as ``CountModel`` subtracting nothing). Exact tails
are computed, vectorised, only for the windows that pass the minimum evidence and the
normal pre-score, as in ``CountModel.judge``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, gammainc

from monitor.spikes.countmodel import (
    DISPERSION_PRIOR, MAX_DISPERSION, MIN_RATE, PRE_Z, SURPRISE_CAP, scale_buckets,
)


class CountsBatch:
    """The count model of ``n`` series; ``rate``, ``judge`` and ``learn`` mirror ``CountModel``.

    Every array is one number per series (per scale in lists): numpy broadcasting over a
    (scales × series) block costs several times as much per element as flat arrays do.
    """

    def __init__(self, n: int, params, slots: int) -> None:
        self.p, self.slots = params, slots
        self.scales = scale_buckets(params.scales_hours, params.rows_per_day)
        self.level = self.day_sum = self.week_sum = None
        self.day, self.week = np.zeros((slots, n)), np.zeros((7, n))
        k = len(self.scales)
        self.phi, self.m0, self.m1 = ([np.zeros(n) for _ in range(k)] for _ in range(3))
        # The last buckets' mu, winsorised value and value as the windows count it, and their
        # sums over each scale's w - 1 latest buckets (None for one-bucket scales).
        size = self.scales[-1]
        self.ring_mu, self.ring_capped, self.ring_counted = (np.zeros((size, n)) for _ in range(3))
        self.tail_mu, self.tail_capped, self.tail_counted = (
            [np.zeros(n) if w > 1 else None for w in self.scales] for _ in range(3))
        self.pushed = 0

    def start(self, value: np.ndarray) -> None:
        """Begin at the first bucket's counts, flat across the day and the week."""
        first = np.maximum(value, 0.1)
        self.level, self.day_sum, self.week_sum = first.copy(), first * self.slots, first * 7
        self.day[:] = first
        self.week[:] = first

    def rate(self, slot: int, weekday: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected counts of the next bucket, and the day and week profiles' ratios."""
        mean = np.maximum(self.day_sum / self.slots, MIN_RATE)
        shrink = self.p.profile_shrink
        ratio = (self.day[slot] + shrink * mean) / (mean * (1.0 + shrink))
        week_mean = np.maximum(self.week_sum / 7, MIN_RATE)
        week_ratio = (self.week[weekday] + shrink * week_mean) / (week_mean * (1.0 + shrink))
        prior, span = self.p.prior_counts, 1.0 / self.p.level_rate
        rate = (prior + span * self.level) / (prior / mean + span)
        return np.maximum(rate * ratio * week_ratio, MIN_RATE), ratio, week_ratio

    def judge(self, value: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """The surprise of each series' most surprising window ending at this bucket (0: none)."""
        p, surprise = self.p, np.zeros(len(value))
        hot = np.flatnonzero(value > mu)  # only a bucket above its expected count can score
        if not len(hot):
            return surprise
        v, m = value[hot], mu[hot]
        found = []  # (series, observed, expected, dispersion) of each window worth an exact tail
        for j, w in enumerate(self.scales):
            observed = v if w == 1 else self.tail_counted[j][hot] + v
            expected = m if w == 1 else self.tail_mu[j][hot] + m
            excess, phi = observed - expected, self.phi[j][hot]
            keep = np.flatnonzero((observed >= p.min_count) & (excess >= p.min_excess_scan)
                                  & (observed >= p.min_ratio_scan * expected) & ((w > 1) | (m < p.single_below))
                                  & ((excess - 0.5) / np.sqrt(expected + phi * expected * expected) >= PRE_Z))
            if len(keep):
                found.append((hot[keep], observed[keep], expected[keep], phi[keep]))
        if found:
            where, observed, expected, phi = (np.concatenate(parts) for parts in zip(*found))
            np.maximum.at(surprise, where, _surprise(_nb_sf(observed, expected, phi)))
        return surprise

    def learn(self, value: np.ndarray, mu: np.ndarray, ratio: np.ndarray, week_ratio: np.ndarray, slot: int,
              weekday: int) -> None:
        """Winsorise, then move the rates, profiles, dispersions and window sums, as ``CountModel.learn``."""
        p = self.p
        capped = np.minimum(value, mu + p.clip * np.sqrt(mu + self.phi[0] * mu * mu) + 1.0)
        for j, w in enumerate(self.scales):
            expected = mu if w == 1 else self.tail_mu[j] + mu
            gap = capped - expected if w == 1 else self.tail_capped[j] + capped - expected
            self.m0[j] += p.disp_rate * (gap * gap - expected - self.m0[j])
            self.m1[j] += p.disp_rate * (expected * expected - self.m1[j])
            np.minimum(np.maximum(self.m0[j] / (self.m1[j] + DISPERSION_PRIOR), 0.0), MAX_DISPERSION, out=self.phi[j])
        self._slide(mu, capped, np.minimum(value, np.maximum(capped, p.min_count)))
        self.level = np.maximum(self.level + p.level_rate * (capped / (ratio * week_ratio) - self.level), MIN_RATE)
        step = p.season_rate * (capped / week_ratio - self.day[slot])
        self.day[slot] += step
        self.day_sum += step
        step = p.week_rate * (capped / ratio - self.week[weekday])
        self.week[weekday] += step
        self.week_sum += step

    def _slide(self, mu: np.ndarray, capped: np.ndarray, counted: np.ndarray) -> None:
        size = len(self.ring_mu)
        at = self.pushed % size
        self.pushed += 1
        rings = (self.ring_mu, self.ring_capped, self.ring_counted)
        for ring, new in zip(rings, (mu, capped, counted)):
            ring[at] = new
        for j, w in enumerate(self.scales):
            if w > 1:
                leaving = (at - (w - 1)) % size
                for ring, tail, new in zip(rings, (self.tail_mu, self.tail_capped, self.tail_counted), (mu, capped, counted)):
                    tail[j] += new
                    tail[j] -= ring[leaving]


def _nb_sf(k: np.ndarray, mean: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """``countmodel.nb_sf`` elementwise (k > 0 and mean > 0 here)."""
    poisson = dispersion <= 1e-9
    size = 1.0 / np.where(poisson, 1.0, dispersion)
    return np.where(poisson, gammainc(k, mean), betainc(k, size, mean / (size + mean)))


def _surprise(tail: np.ndarray) -> np.ndarray:
    """``countmodel.surprise_of`` elementwise."""
    return np.where(tail <= 10.0**-SURPRISE_CAP, SURPRISE_CAP, np.minimum(SURPRISE_CAP, -np.log10(tail)))
