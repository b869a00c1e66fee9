"""How far can any rule on mention volume get on NAB realTweets? The ceiling of issue 6 (run by hand).

    .venv/bin/python bench/bench_spike_ceiling.py

Each 5-minute row gets six causal measures of how unusual the volume is: the detector's z
(log scale, daily and weekly seasonality), its mean over the last hour and the last six
hours, and the ratios of the row's count, the last hour's and the last six hours' sums to
the previous day's median. Two questions are then answered on the five labelled series:

1. **The best linear rule.** Every non-negative weighting of the six measures in a seeded
   sample, each with 30 thresholds, flags the first row above the threshold and stays
   quiet for a day, as the shipped detector does. It is scored with NAB's own weights,
   choosing weights and threshold on the labels themselves (in-sample, so a ceiling).
2. **Dominance.** A rule that calls a row anomalous must also call anomalous every row that
   is at least as unusual on all six measures. For each labelled window the bench finds
   the fewest unlabelled days holding such a row, over every row of the window; for the two
   hardest windows it finds the fewest such days for catching both. Whatever the rule, this
   many alarms fall outside the labels, so alert precision is at most caught / (caught + that).

Skips with a message when ../shared/data is absent.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_spikes

from monitor.spikes import SERIES_PARAMS, Detector

DAY = 288  # 5-minute rows
HOUR = 12
SPANS = (HOUR, 6 * HOUR)
DIRECTIONS = 400
THRESHOLDS = 30
PAIR_CANDIDATES = 150  # the rows with the fewest dominating days, per window, tried in pairs
NONE = -9.0  # a measure not defined yet (the first day): never unusual


def measures(values: list[float]) -> np.ndarray:
    """The six measures of every row, as columns; each uses rows up to its own only."""
    v = np.asarray(values, dtype=float)
    detector, z = Detector(SERIES_PARAMS), np.empty(len(v))
    for i, value in enumerate(values):
        z[i] = detector.zscore(value)
        detector.update(value)
    median = np.full(len(v), np.nan)
    median[DAY:] = np.median(np.lib.stride_tricks.sliding_window_view(v, DAY)[:-1], axis=1)
    median = np.maximum(median, 1.0)
    columns = [z, *(trailing_mean(z, span) for span in SPANS), np.log(np.maximum(v, 0.5) / median)]
    columns += [np.log(np.maximum(trailing_mean(v, span), 0.5 / span) / median) for span in SPANS]
    table = np.vstack(columns).T
    table[:DAY] = NONE
    return np.nan_to_num(table, nan=NONE)


def trailing_mean(x: np.ndarray, span: int) -> np.ndarray:
    """Mean of the ``span`` values ending at each row (NaN before there are that many)."""
    sums = np.concatenate([[0.0], np.cumsum(x)])
    out = np.full(len(x), np.nan)
    out[span - 1 :] = (sums[span:] - sums[:-span]) / span
    return out


def episode_starts(mask: np.ndarray, quiet: int = DAY) -> set[int]:
    """The first row of each run of flagged rows, a run ending after ``quiet`` calm rows."""
    starts, last = set(), -quiet - 1
    for i in np.flatnonzero(mask):
        if i - last > quiet:
            starts.add(int(i))
        last = i
    return starts


class FastScore:
    """NAB's standard raw score of one series with its row weights computed once."""

    def __init__(self, nab, n: int, windows: list[tuple[int, int]]) -> None:
        self.profile = nab.PROFILES["standard"]
        rows = nab.row_weights(n, windows, self.profile)
        self.weight = np.array([w for w, _ in rows])
        self.window = np.array([-2 if k == "P" else -1 if k is None else k for _, k in rows])
        self.windows = len(windows)

    def __call__(self, flagged: set[int]) -> float:
        rows = np.fromiter(flagged, dtype=int, count=len(flagged))
        weight, window = self.weight[rows], self.window[rows]
        caught = [weight[window == k].max(initial=-self.profile["fn"]) for k in range(self.windows)]
        return float(weight[window == -1].sum() + sum(caught))


def best_linear_rule(nab, series, table) -> tuple[dict, np.ndarray, float, dict]:
    """The in-sample best weighting and threshold by standard score; also the best with precision >= 0.6."""
    scorers = {name: FastScore(nab, len(values), windows) for name, (values, windows) in series.items()}
    rng = np.random.default_rng(0)
    directions = [np.eye(6)[0]] + [rng.random(6) * (rng.random(6) < 0.7) for _ in range(DIRECTIONS)]
    n_windows = sum(len(w) for _, w in series.values())
    best, precise = (-np.inf, None, None), (-np.inf, None, None)
    for weights in directions:
        if not weights.any():
            continue
        weights = weights / weights.sum()
        scores = {name: table[name] @ weights for name in series}
        pooled = np.concatenate([s[DAY:] for s in scores.values()])
        for threshold in np.quantile(pooled, np.linspace(0.995, 0.99995, THRESHOLDS)):
            flags = {name: episode_starts(scores[name] > threshold) for name in series}
            raw = sum(scorers[name](flags[name]) for name in series)
            standard = nab.normalize(raw, n_windows, scorers[next(iter(series))].profile)
            candidate = (standard, weights, threshold)
            best = max(best, candidate, key=lambda c: c[0])
            if precision(nab, series, flags) >= 0.6:
                precise = max(precise, candidate, key=lambda c: c[0])
    return full_score(nab, series, table, best), best[1], best[2], full_score(nab, series, table, precise)


def precision(nab, series, flags) -> float:
    counts = [nab.alerts(len(values), windows, flags[name]) for name, (values, windows) in series.items()]
    alerts = sum(c["alerts"] for c in counts)
    return sum(c["true_alerts"] for c in counts) / alerts if alerts else 0.0


def full_score(nab, series, table, choice) -> dict | None:
    """All three NAB profiles, recall and precision of one (score, weights, threshold) choice."""
    _, weights, threshold = choice
    if weights is None:
        return None
    parts = [
        bench_spikes.score_one(nab, values, windows, episode_starts(table[name] @ weights > threshold))
        for name, (values, windows) in series.items()
    ]
    return bench_spikes.total(nab, parts)


def dominated_days(nab, series, table) -> dict[tuple[str, int], list[int]]:
    """For each window, per row: the unlabelled days (as bits) holding a row at least as unusual on every measure."""
    outside, bit = [], 0
    for name, (values, windows) in series.items():
        rows = np.arange(int(nab.probation(len(values))), len(values))
        rows = rows[[not any(a <= r <= b for a, b in windows) for r in rows]]
        days = rows // DAY
        outside.append((table[name][rows], days - days.min() + bit))
        bit += days.max() - days.min() + 1
    result = {}
    for name, (_, windows) in series.items():
        for a, b in windows:
            result[name, a] = [day_bits(outside, table[name][r]) for r in range(max(a, DAY), b + 1)]
    return result


def day_bits(outside, row: np.ndarray) -> int:
    bits = 0
    for measures_out, days in outside:
        for day in np.unique(days[(measures_out >= row).all(axis=1)]):
            bits |= 1 << int(day)
    return bits


def main() -> int:
    if not bench_spikes.DATA_DIR.is_dir() or not bench_spikes.NAB_SCORE.is_file():
        print(f"skipped: {bench_spikes.DATA_DIR} or {bench_spikes.NAB_SCORE} is absent")
        return 0
    nab = bench_spikes.load_scorer()
    series = bench_spikes.load_series(nab)
    started = time.perf_counter()
    table = {name: measures(values) for name, (values, _) in series.items()}
    shipped = bench_spikes.evaluate(nab, series, bench_spikes.ours)
    best, weights, threshold, precise = best_linear_rule(nab, series, table)
    print(f"NAB realTweets, {len(series)} series; six causal measures per row")
    bench_spikes.print_table(
        {
            "shipped detector (SERIES_PARAMS)": shipped,
            f"best linear rule of {DIRECTIONS + 1} x {THRESHOLDS}, in-sample": best,
            **({"best such rule with precision >= 0.6": precise} if precise else {}),
        }
    )
    print(f"  best weights {np.round(weights, 2).tolist()}, threshold {threshold:.2f}")
    if precise is None:
        print("  no linear rule reaches precision 0.6")
    days = dominated_days(nab, series, table)
    fewest = {key: min(bits.bit_count() for bits in rows) for key, rows in days.items()}
    hardest = sorted(days, key=lambda key: -fewest[key])
    print("unlabelled days a rule must also alarm on to catch a window (fewest over the window's rows):")
    for name, a in hardest:
        print(f"  {name:26s} window from row {a:6d}: {fewest[name, a]:3d}")
    pair = hardest[:2]
    candidates = [sorted(set(days[key]), key=int.bit_count)[:PAIR_CANDIDATES] for key in pair]
    both = min((x | y).bit_count() for x, y in itertools.product(*candidates))
    caught = sum(len(w) for _, w in series.values())
    print(
        f"catching both of the two hardest: at least {both} unlabelled days; catching all {caught} windows "
        f"caps alert precision at {caught}/{caught + both} = {caught / (caught + both):.2f}"
    )
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
