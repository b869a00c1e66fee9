"""Benchmark the spike detector on NAB realTweets against a naive baseline (run by hand).

    .venv/bin/python bench/bench_spikes.py [--no-cli]

Scores ``monitor.spikes.detect`` (SERIES_PARAMS) and a baseline, a rolling one-day z-score
> 8 with a one-day cooldown (the reference in the data's README: 65.3 standard), with the
scoring logic of ../shared/tools/nab_score.py on the same series in the same run, and
times both in rows per second. A leave-one-series-out row measures generalisation: for
each series, the parameters are chosen on a grid (``LOSO_GRID``, which holds the shipped
set) by their standard score on the other four, and the held-out series is scored with
them. Unless ``--no-cli`` it then runs nab_score.py itself on ``monitor spikes detect``,
the public contract, whose TOTAL line must match ours.
Skips with a message when ../shared/data is absent.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import itertools
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA_DIR = SHARED / "data" / "nab-realtweets"
NAB_SCORE = SHARED / "tools" / "nab_score.py"
BASELINE_WINDOW = 288  # one day of 5-minute rows
BASELINE_Z = 8.0
BASELINE_COOLDOWN = 288
LOSO_GRID = dict(threshold=[4.5, 5.0, 5.5], peak_factor=[0.0, 1.0, 1.2, 1.4], quiet=[144, 288, 576])

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


def ours(values: list[float], params=SERIES_PARAMS) -> set[int]:
    return {flag.index for flag in detect(values, params=params)}


def load_scorer():
    spec = importlib.util.spec_from_file_location("nab_score", NAB_SCORE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def label_oracle(nab) -> dict[str, set[int]]:
    """Rows of the labelled instants (labels.json): a flag at each, no other; the ceiling of a
    detector that sees a spike only once it happens (windows open well before the label)."""
    labels = json.loads((DATA_DIR / "labels.json").read_text())
    oracle = {}
    for name, instants in labels.items():
        stamps, _ = read_series(DATA_DIR / name)
        index = {nab.ts_of(s): i for i, s in enumerate(stamps)}
        oracle[name] = {index[nab.ts_of(t)] for t in instants}
    return oracle


def load_series(nab) -> dict[str, tuple[list[float], list[tuple[int, int]]]]:
    """Values and window row ranges of each series named in windows.json."""
    windows = json.loads((DATA_DIR / "windows.json").read_text())
    series = {}
    for name in sorted(windows):
        stamps, values = read_series(DATA_DIR / name)
        index = {nab.ts_of(s): i for i, s in enumerate(stamps)}
        series[name] = (values, [(index[nab.ts_of(a)], index[nab.ts_of(b)]) for a, b in windows[name]])
    return series


def score_one(nab, values, windows, flagged) -> dict:
    """Raw NAB score per profile and alert counts of one series."""
    raw = {p: nab.nab_raw(len(values), windows, flagged, profile) for p, profile in nab.PROFILES.items()}
    return dict(raw=raw, **nab.alerts(len(values), windows, flagged))


def total(nab, parts: list[dict], rows: int = 0, seconds: float = 0.0) -> dict:
    """NAB scores (three profiles), recall and precision over the series scored in ``parts``."""
    agg = {k: sum(part[k] for part in parts) for k in ("windows", "hit", "alerts", "true_alerts")}
    scores = {p: nab.normalize(sum(part["raw"][p] for part in parts), agg["windows"], prof)
              for p, prof in nab.PROFILES.items()}
    precision = agg["true_alerts"] / agg["alerts"] if agg["alerts"] else 0.0
    return dict(scores, recall=f"{agg['hit']}/{agg['windows']}", precision=precision,
                alerts=agg["alerts"], rows_per_s=rows / seconds if seconds else float("nan"))


def evaluate(nab, series, detector) -> dict:
    """NAB scores, recall, precision and throughput of one detector on every series."""
    parts, rows, seconds = [], 0, 0.0
    for values, windows in series.values():
        started = time.perf_counter()
        flagged = detector(values)
        seconds += time.perf_counter() - started
        rows += len(values)
        parts.append(score_one(nab, values, windows, flagged))
    return total(nab, parts, rows, seconds)


def leave_one_out(nab, series) -> tuple[dict, dict]:
    """Scores of held-out series, each run with the grid point best on the other four; and the choices."""
    grid = [replace(SERIES_PARAMS, **dict(zip(LOSO_GRID, point))) for point in itertools.product(*LOSO_GRID.values())]
    parts = {(i, name): score_one(nab, values, windows, ours(values, params))
             for i, params in enumerate(grid) for name, (values, windows) in series.items()}
    held_out, chosen = [], {}
    for name in series:
        rest = [n for n in series if n != name]
        best = max(range(len(grid)), key=lambda i: total(nab, [parts[i, n] for n in rest])["standard"])
        held_out.append(parts[best, name])
        chosen[name] = {k: getattr(grid[best], k) for k in LOSO_GRID}
    return total(nab, held_out), chosen


def print_table(results: dict[str, dict]) -> None:
    print(f"{'detector':48s} {'standard':>8s} {'low_FP':>7s} {'low_FN':>7s} {'recall':>7s} "
          f"{'precision':>9s} {'alerts':>6s} {'rows/s':>10s}")
    for name, r in results.items():
        print(f"{name:48s} {r['standard']:8.1f} {r['low_FP']:7.1f} {r['low_FN']:7.1f} {r['recall']:>7s} "
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
    sample = 20  # the streaming detector, one series after another, on the first people
    started = time.perf_counter()
    streamed = [[f.index for f in detect(row.tolist(), params=HOURLY_PARAMS)] for row in counts[:sample]]
    per_person = (time.perf_counter() - started) / sample
    assert streamed == flags[:sample], "the batch and streaming detectors disagree"
    print(f"  baseline, the streaming detector series by series: {per_person * people:.1f} s for {people:,} people "
          f"(timed on {sample}), {per_person * people / seconds:.0f}x slower; same flags")


def online_step(people: int = 1000, days: int = 30) -> None:
    """Time what a worker does when an hour closes: for each series, restore the stored state
    (JSON), feed one bucket, and serialise the state again; no history is read."""
    import numpy as np

    from monitor.spikes import Detector

    rng = np.random.default_rng(2)
    stored = []
    for rate in rng.choice([0.05, 1.0, 30.0], size=people):
        detector = Detector(HOURLY_PARAMS)
        for value in rng.poisson(rate, size=days * 24):
            detector.update(int(value))
        stored.append(json.dumps(detector.state()))
    started = time.perf_counter()
    for text in stored:
        detector = Detector.restore(json.loads(text), HOURLY_PARAMS)
        detector.update(3)
        json.dumps(detector.state())
    seconds = time.perf_counter() - started
    print(f"online detector: one closed hour for {people:,} stored series in {seconds * 1000:.0f} ms")


def main(argv: list[str]) -> int:
    if not DATA_DIR.is_dir() or not NAB_SCORE.is_file():
        print(f"skipped: {DATA_DIR} or {NAB_SCORE} is absent")
        return 0
    nab = load_scorer()
    series = load_series(nab)
    print(f"NAB realTweets: {len(series)} series, {sum(len(v) for v, _ in series.values()):,} rows")
    loso, chosen = leave_one_out(nab, series)
    oracle = label_oracle(nab)
    print_table({
        "ours, in-sample (one parameter set)": evaluate(nab, series, ours),
        "ours, leave-one-series-out (grid tuned on 4)": loso,
        "ours without the usual-peak bar (peak_factor 0)": evaluate(
            nab, series, lambda values: ours(values, replace(SERIES_PARAMS, peak_factor=0.0))),
        "baseline (1-day z > 8, 1-day cooldown)": evaluate(nab, series, zscore_baseline),
        "reference: a flag at each labelled instant": total(nab, [
            score_one(nab, values, windows, oracle[name]) for name, (values, windows) in series.items()]),
    })
    for name, params in chosen.items():
        print(f"  held out {name}: tuned on the others -> {params}")
    throughput()
    online_step()
    if "--no-cli" not in argv:
        print(f"nab_score.py on `monitor spikes detect`: {run_cli_scorer()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
