"""Benchmark the spike detector on NAB realTweets against a naive baseline (run by hand).

    .venv/bin/python bench/bench_spikes.py [--no-cli]

Scores ``monitor.spikes.detect`` (SERIES_PARAMS) and a baseline, a rolling one-day z-score
> 8 with a one-day cooldown (the reference in the data's README: 65.3 standard), with the
scoring logic of ../shared/tools/nab_score.py on the same series in the same run, and
times both in rows per second. Unless ``--no-cli`` it then runs nab_score.py itself on
``monitor spikes detect``, the public contract, whose TOTAL line must match ours.
Skips with a message when ../shared/data is absent.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA_DIR = SHARED / "data" / "nab-realtweets"
NAB_SCORE = SHARED / "tools" / "nab_score.py"
BASELINE_WINDOW = 288  # one day of 5-minute rows
BASELINE_Z = 8.0
BASELINE_COOLDOWN = 288

sys.path.insert(0, str(REPO))
from monitor.spikes import HOURLY_PARAMS, SERIES_PARAMS, detect, read_series  # noqa: E402


def zscore_baseline(values: list[float]) -> set[int]:
    """Rows whose value is > 8 standard deviations above the trailing day's mean; causal."""
    flagged: set[int] = set()
    recent: deque[float] = deque()
    total = squares = 0.0
    last = None
    for i, value in enumerate(values):
        if len(recent) == BASELINE_WINDOW and (last is None or i - last > BASELINE_COOLDOWN):
            mean = total / BASELINE_WINDOW
            sd = math.sqrt(max(squares / BASELINE_WINDOW - mean * mean, 0.0))
            if sd > 0 and (value - mean) / sd > BASELINE_Z:
                flagged.add(i)
                last = i
        recent.append(value)
        total, squares = total + value, squares + value * value
        if len(recent) > BASELINE_WINDOW:
            old = recent.popleft()
            total, squares = total - old, squares - old * old
    return flagged


def ours(values: list[float]) -> set[int]:
    return {flag.index for flag in detect(values, params=SERIES_PARAMS)}


def load_scorer():
    spec = importlib.util.spec_from_file_location("nab_score", NAB_SCORE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_series(nab) -> dict[str, tuple[list[float], list[tuple[int, int]]]]:
    """Values and window row ranges of each series named in windows.json."""
    windows = json.loads((DATA_DIR / "windows.json").read_text())
    series = {}
    for name in sorted(windows):
        stamps, values = read_series(DATA_DIR / name)
        index = {nab.ts_of(s): i for i, s in enumerate(stamps)}
        series[name] = (values, [(index[nab.ts_of(a)], index[nab.ts_of(b)]) for a, b in windows[name]])
    return series


def evaluate(nab, series, detector) -> dict:
    """NAB scores (three profiles), recall, precision and throughput of one detector."""
    raw = {p: 0.0 for p in nab.PROFILES}
    agg = dict(windows=0, hit=0, alerts=0, true_alerts=0)
    rows, seconds = 0, 0.0
    for values, windows in series.values():
        started = time.perf_counter()
        flagged = detector(values)
        seconds += time.perf_counter() - started
        rows += len(values)
        for p, profile in nab.PROFILES.items():
            raw[p] += nab.nab_raw(len(values), windows, flagged, profile)
        found = nab.alerts(len(values), windows, flagged)
        for key in agg:
            agg[key] += found[key]
    scores = {p: nab.normalize(raw[p], agg["windows"], prof) for p, prof in nab.PROFILES.items()}
    precision = agg["true_alerts"] / agg["alerts"] if agg["alerts"] else 0.0
    return dict(scores, recall=f"{agg['hit']}/{agg['windows']}", precision=precision,
                alerts=agg["alerts"], rows_per_s=rows / seconds if seconds else float("inf"))


def print_table(results: dict[str, dict]) -> None:
    print(f"{'detector':40s} {'standard':>8s} {'low_FP':>7s} {'low_FN':>7s} {'recall':>7s} "
          f"{'precision':>9s} {'alerts':>6s} {'rows/s':>10s}")
    for name, r in results.items():
        print(f"{name:40s} {r['standard']:8.1f} {r['low_FP']:7.1f} {r['low_FN']:7.1f} {r['recall']:>7s} "
              f"{r['precision']:9.2f} {r['alerts']:6d} {r['rows_per_s']:10,.0f}")


def run_cli_scorer() -> str:
    """The TOTAL line of nab_score.py run on `monitor spikes detect`."""
    command = [sys.executable, "-m", "monitor", "spikes", "detect", "--input", "{}"]
    run = subprocess.run([sys.executable, str(NAB_SCORE), str(DATA_DIR), "--", *command],
                         capture_output=True, text=True, cwd=REPO, check=True)
    return run.stdout.strip().splitlines()[-1]


def throughput(people: int = 1000, hours: int = 365 * 24) -> None:
    """Time the batch detector over ``people`` × a year of hourly buckets (sparse and busy people)."""
    import numpy as np

    from monitor.spikes.batch import detect_many

    rng = np.random.default_rng(1)
    rates = rng.choice([0.05, 0.2, 1.0, 5.0, 30.0], size=(people, 1))
    counts = rng.poisson(rates, size=(people, hours))
    started = time.perf_counter()
    flags = detect_many(counts, params=HOURLY_PARAMS)
    seconds = time.perf_counter() - started
    print(f"batch detector: {people:,} people x {hours:,} hourly buckets in {seconds:.2f} s "
          f"({people * hours / seconds:,.0f} buckets/s, {sum(map(len, flags))} episodes)")


def main(argv: list[str]) -> int:
    if not DATA_DIR.is_dir() or not NAB_SCORE.is_file():
        print(f"skipped: {DATA_DIR} or {NAB_SCORE} is absent")
        return 0
    nab = load_scorer()
    series = load_series(nab)
    print(f"NAB realTweets: {len(series)} series, {sum(len(v) for v, _ in series.values()):,} rows")
    print_table({
        "ours (seasonal winsorised EWMA, episodes)": evaluate(nab, series, ours),
        "baseline (1-day z > 8, 1-day cooldown)": evaluate(nab, series, zscore_baseline),
    })
    throughput()
    if "--no-cli" not in argv:
        print(f"nab_score.py on `monitor spikes detect`: {run_cli_scorer()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
