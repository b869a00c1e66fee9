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
    DISPERSION_PRIOR,
    MAX_DISPERSION,
    MIN_RATE,
    PRE_Z,
    SURPRISE_CAP,
    scale_buckets,
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
            [np.zeros(n) if w > 1 else None for w in self.scales] for _ in range(3)
        )
        self.pushed = 0
        self.scratch = (np.empty(n), np.empty(n))  # learn's working arrays, reused every step

    def start(self, value: np.ndarray) -> None:
        """Begin at the first bucket's counts, flat across the day and the week."""
        first = np.maximum(value, 0.1)
        self.level, self.day_sum, self.week_sum = first.copy(), first * self.slots, first * 7
        self.day[:] = first
        self.week[:] = first

    def rate(self, slot: int, weekday: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected counts of the next bucket, and the day and week profiles' ratios (the
        arithmetic of ``CountModel.rate``, in place)."""
        shrink = self.p.profile_shrink
        # The mean bucket of the day, and the level's memory rate, hold until ``learn``'s end:
        # computed once a step, not once per use (each numpy call costs what a thousand numbers do).
        mean = self.daily = np.divide(self.day_sum, self.slots)
        np.maximum(mean, MIN_RATE, out=mean)
        self.level_rate = self._memory_rate(self.p.level_rate, self.p.level_mentions)
        ratio = np.multiply(mean, shrink)
        ratio += self.day[slot]
        ratio /= np.multiply(mean, 1.0 + shrink)
        week_mean = np.divide(self.week_sum, 7)
        np.maximum(week_mean, MIN_RATE, out=week_mean)
        week_ratio = np.multiply(week_mean, shrink)
        week_ratio += self.week[weekday]
        week_mean *= 1.0 + shrink
        week_ratio /= week_mean
        prior = self.p.prior_counts
        span = np.divide(1.0, self.level_rate)
        rate = np.multiply(self.level, span)
        rate += prior
        weight = np.divide(prior, mean)
        weight += span
        rate /= weight
        rate *= ratio
        rate *= week_ratio
        return np.maximum(rate, MIN_RATE, out=rate), ratio, week_ratio

    def judge(self, value: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """The surprise of each series' most surprising window ending at this bucket (0: none).

        The minimum evidence is tested on whole arrays (a few calls per scale), and only the
        few windows that pass it are gathered for the normal pre-score and the exact tail:
        a numpy call costs about as much for a thousand numbers as for ten."""
        p, surprise = self.p, np.zeros(len(value))
        found = self._worth_a_tail(value, mu)
        if found:
            where, observed, expected, phi, busy = (
                found[0] if len(found) == 1 else (np.concatenate(parts) for parts in zip(*found))
            )
            scored = _surprise(_nb_sf(observed, expected, phi))
            np.maximum.at(surprise, where[~busy], scored[~busy])
            if busy.any():  # a busy single bucket counts where a longer window agrees on its own
                where, scored = where[busy], scored[busy]
                agreed = surprise[where] >= p.busy_agree
                surprise[where[agreed]] = np.maximum(surprise[where[agreed]], scored[agreed])
        return surprise

    def _worth_a_tail(self, value: np.ndarray, mu: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        """(series, observed, expected, dispersion, busy single bucket?) of each scale's windows
        with the minimum evidence and a normal pre-score of ``PRE_Z``."""
        p = self.p
        hot = value > mu  # only a bucket above its expected count can score
        found = []
        for j, w in enumerate(self.scales):
            if w == 1:
                observed, expected, excess = value, mu, value - mu  # excess >= min_excess_scan > 0 implies hot
                keep = (excess >= p.min_excess_scan) & (value >= p.min_count)
            else:
                observed, expected = self.tail_counted[j] + value, self.tail_mu[j] + mu
                excess = observed - expected
                keep = (excess >= p.min_excess_scan) & (observed >= p.min_count) & hot
            if p.min_ratio_scan > 1.0:  # at most 1, the positive excess already implies the ratio
                keep &= observed >= p.min_ratio_scan * expected
            where = keep.nonzero()[0]
            if not len(where):
                continue
            observed, expected, excess, phi = observed[where], expected[where], excess[where], self.phi[j][where]
            worth = ((excess - 0.5) / np.sqrt(expected + phi * expected * expected) >= PRE_Z).nonzero()[0]
            if len(worth):
                busy = expected[worth] >= p.single_below if w == 1 else np.zeros(len(worth), dtype=bool)
                found.append((where[worth], observed[worth], expected[worth], phi[worth], busy))
        return found

    def learn(
        self, value: np.ndarray, mu: np.ndarray, ratio: np.ndarray, week_ratio: np.ndarray, slot: int, weekday: int
    ) -> None:
        """Winsorise, then move the rates, profiles, dispersions and window sums, as ``CountModel.learn``.

        The same operations in the same order as ``CountModel``, written in place (``out=``) so
        that a step allocates few temporaries; the flags are identical."""
        p = self.p
        bound = self.phi[0] * mu
        bound *= mu
        bound += mu
        np.sqrt(bound, out=bound)
        bound *= p.clip
        bound += mu
        bound += 1.0
        capped = np.minimum(value, bound, out=bound)
        gap, square = self.scratch
        disp_rate = self._memory_rate(p.disp_rate, p.disp_mentions)
        for j, w in enumerate(self.scales):
            expected = mu if w == 1 else np.add(self.tail_mu[j], mu, out=square)
            if w == 1:
                np.subtract(capped, expected, out=gap)
            else:
                np.add(self.tail_capped[j], capped, out=gap)
                gap -= expected
            gap *= gap
            gap -= expected
            gap -= self.m0[j]
            gap *= disp_rate
            self.m0[j] += gap
            np.multiply(expected, expected, out=square)
            square -= self.m1[j]
            square *= disp_rate
            self.m1[j] += square
            np.add(self.m1[j], DISPERSION_PRIOR, out=square)
            np.divide(self.m0[j], square, out=self.phi[j])
            np.maximum(self.phi[j], 0.0, out=self.phi[j])
            np.minimum(self.phi[j], MAX_DISPERSION, out=self.phi[j])
        np.maximum(capped, p.min_count, out=gap)
        self._slide(mu, capped, np.minimum(value, gap, out=gap))
        level_rate = self.level_rate
        slot_rate = self._memory_rate(p.season_rate, p.profile_mentions)
        np.multiply(ratio, week_ratio, out=square)  # the level learns the deseasonalised count
        np.divide(capped, square, out=square)
        square -= self.level
        square *= level_rate
        self.level += square
        np.maximum(self.level, MIN_RATE, out=self.level)
        step = np.divide(capped, week_ratio, out=square)
        step -= self.day[slot]
        step *= slot_rate
        self.day[slot] += step
        self.day_sum += step
        step = np.divide(capped, ratio, out=square)
        step -= self.week[weekday]
        step *= p.week_rate
        self.week[weekday] += step
        self.week_sum += step

    def _memory_rate(self, rate: float, mentions: float) -> float | np.ndarray:
        """``CountModel.memory_rate`` of each series (from this step's ``daily`` mean)."""
        if not mentions:
            return rate
        memory = np.divide(self.daily, mentions)
        return np.minimum(memory, rate, out=memory)

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
                for ring, tail, new in zip(
                    rings, (self.tail_mu, self.tail_capped, self.tail_counted), (mu, capped, counted)
                ):
                    tail[j] += new
                    tail[j] -= ring[leaving]


def _nb_sf(k: np.ndarray, mean: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """``countmodel.nb_sf`` elementwise (k > 0 and mean > 0 here)."""
    poisson = dispersion <= 1e-9
    if poisson.all():  # common (a dispersion clamped at zero): one special function, not both
        return gammainc(k, mean)
    size = 1.0 / np.where(poisson, 1.0, dispersion)
    over = betainc(k, size, mean / (size + mean))
    return np.where(poisson, gammainc(k, mean), over) if poisson.any() else over


def _surprise(tail: np.ndarray) -> np.ndarray:
    """``countmodel.surprise_of`` elementwise."""
    return np.where(tail <= 10.0**-SURPRISE_CAP, SURPRISE_CAP, np.minimum(SURPRISE_CAP, -np.log10(tail)))
