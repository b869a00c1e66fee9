"""Benchmark the spike detector per regime against a rolling z-score, in one run (by hand).

    .venv/bin/python bench/bench_spikes.py [--no-cli] [--quick] [--seeds 3,4,5] [--ps 0.35,0.1,0.01]
        [--select-seeds 0,1,2]

Regimes (``spike_devset``): the five shipped NAB realTweets series; the same thinned to p =
0.2, 0.05 and 0.02 (Binomial(k, p) per bucket keeps NAB's labelled windows; seeds 0, 1, 2,
mean reported); hourly synthetic series at 0.01–5 mentions a bucket with a daily and weekly
rhythm and planted bursts; and calm synthetic series (false alarms per series-year).
Each regime is scored with ../shared/tools/nab_score.py's logic (standard, low-FP, low-FN,
window recall, alert precision) for ``monitor.spikes.detect`` with SERIES_PARAMS (rescaled
to hourly buckets, as ``monitor spikes detect`` does), for leave-one-series-out (each series
scored with the ``LOSO_GRID`` point best over every regime on the other series; NAB series
are held out across all their thinnings, synthetic ones by base rate; each fold's choice is
printed as its changes and its lead over the shipped point on the other series), and for the
rolling z-score baseline (a one-day z > 8 with a one-day cooldown, the data README's reference).
The live path's ``HOURLY_PARAMS`` (a person's hourly spikes) is scored at each sensitivity on
the synthetic and calm series beside them. Then (not with ``--quick``) every regime at a
person's quiet, normal and eager alert sensitivity, with the false alarms each gives on the
calm series, and how often one bucket's count-model surprise reaches 2 to 6 outside the
labelled windows against what the model promises (the tails of real mention volume).
Then throughput: the batch detector on 1,000 people × a year of hourly buckets beside the
streaming detector, with the same flags asserted. Unless ``--no-cli`` it runs nab_score.py
on ``monitor spikes detect`` (the public contract) for the shipped series. ``--seeds``
draws the thinned and synthetic series from other seeds: one seed's score swings by up to
eight points at p = 0.02, so the parameters were last chosen on the mean of seeds 0–9
(``--seeds 0,1,2,3,4,5,6,7,8,9``, about three times as long), and seeds 10–19 are a held-out check.
``escalate_from`` was set on seeds 0–2 to 5, the sparse-name level ``onset_below`` already
uses (2, 5, 10 and 20 tried); checked on 3–9 and 10–19, where 10 did as well or a little
better, so the grid holds 10 and 0 (the rule off) beside it. ``busy_from`` (where a name
averages that many mentions a bucket, its bar is also its days' 0.85 quantile of peak
surprise) was set to 8 on seeds 0–9 at p = 0.5, 0.35, 0.2 and 0.1 as well as the three
tuned levels: 4 gave the shipped series most (81.5, precision 0.333, against 81.1 and
0.328) but lost 2.5 points at p = 0.5 and 0.35 on seeds 0–9 and up to 3.6 on seeds 10–19,
where 8 gains or holds at every level (6, 10, 12 and 20 tried too); quantiles 0.75, 0.8
and 0.9 did worse on the shipped series, factors 0.9 and 1.1 the same. ``--ps`` thins to other
levels than the three tuned on (0.35, 0.1 and 0.01: between them and beyond the sparsest),
a check that the detector holds between and past the levels it was tuned at.
Each leave-one-out fold chooses its point on the other series of seeds 0–9, as the shipped
point was chosen, while the held-out series is scored on ``--seeds`` (``--select-seeds``
names other seeds: ``--select-seeds 0,1,2`` chooses on the three scored, as this bench did
until 2026-12-04): a fold choosing on three seeds picks between points a tenth of a point
apart on the others, a coin toss the held-out score then pays for (a gap of 3.8 at p = 0.2
against 0.3 choosing on seeds 0–9).
Skips with a message when ../shared/data is absent.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout; a git worktree elsewhere names it in MONITOR_SHARED, else /work/shared.
SHARED = Path(os.environ.get("MONITOR_SHARED") or REPO.parent / "shared")
if not SHARED.is_dir() and Path("/work/shared").is_dir():
    SHARED = Path("/work/shared")
DATA_DIR = SHARED / "data" / "nab-realtweets"
NAB_SCORE = SHARED / "tools" / "nab_score.py"
BASELINE_WINDOW = 288  # one day of 5-minute rows
BASELINE_Z = 8.0
SELECT_SEEDS = tuple(range(10))  # the seeds the shipped point was chosen on: leave-one-out folds choose on them too

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from monitor.spikes import HOURLY_PARAMS, SERIES_PARAMS, detect, read_series  # noqa: E402
from monitor.spikes.detector import rescaled  # noqa: E402


def zscore_baseline(values: list[float], rows_per_day: int = BASELINE_WINDOW) -> set[int]:
    """Rows whose value is > 8 standard deviations above the trailing day's mean, with a day's
    cooldown after each flag; causal."""
    window = cooldown = rows_per_day
    flagged: set[int] = set()
    recent: deque[float] = deque()
    total = squares = 0.0
    last = None
    for i, value in enumerate(values):
        if len(recent) == window and (last is None or i - last > cooldown):
            mean = total / window
            sd = math.sqrt(max(squares / window - mean * mean, 0.0))
            if sd > 0 and (value - mean) / sd > BASELINE_Z:
                flagged.add(i)
                last = i
        recent.append(value)
        total, squares = total + value, squares + value * value
        if len(recent) > window:
            old = recent.popleft()
            total, squares = total - old, squares - old * old
    return flagged


def ours(values: list[float], params=SERIES_PARAMS, rows_per_day: int = 288) -> set[int]:
    """Rows where ``detect`` opens an episode, with ``params`` rescaled to the series' buckets."""
    return {flag.index for flag in detect(values, params=rescaled(params, rows_per_day))}


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
    scores = {
        p: nab.normalize(sum(part["raw"][p] for part in parts), agg["windows"], prof)
        for p, prof in nab.PROFILES.items()
    }
    precision = agg["true_alerts"] / agg["alerts"] if agg["alerts"] else 0.0
    return dict(
        scores,
        recall=f"{agg['hit']}/{agg['windows']}",
        precision=precision,
        alerts=agg["alerts"],
        rows_per_s=rows / seconds if seconds else float("nan"),
    )


def evaluate(nab, series, detector) -> dict:
    """NAB scores, recall, precision and throughput of one detector on every series (the ceiling bench uses it)."""
    parts, rows, seconds = [], 0, 0.0
    for values, windows in series.values():
        started = time.perf_counter()
        flagged = detector(values)
        seconds += time.perf_counter() - started
        rows += len(values)
        parts.append(score_one(nab, values, windows, flagged))
    return total(nab, parts, rows, seconds)


def print_table(results: dict[str, dict]) -> None:
    print(
        f"{'detector':48s} {'standard':>8s} {'low_FP':>7s} {'low_FN':>7s} {'recall':>7s} "
        f"{'precision':>9s} {'alerts':>6s} {'rows/s':>10s}"
    )
    for name, r in results.items():
        print(
            f"{name:48s} {r['standard']:8.1f} {r['low_FP']:7.1f} {r['low_FN']:7.1f} {r['recall']:>7s} "
            f"{r['precision']:9.2f} {r['alerts']:6d} {r['rows_per_s']:10,.0f}"
        )


def run_cli_scorer() -> str:
    """The TOTAL line of nab_score.py run on `monitor spikes detect`."""
    command = [sys.executable, "-m", "monitor", "spikes", "detect", "--input", "{}"]
    run = subprocess.run(
        [sys.executable, str(NAB_SCORE), str(DATA_DIR), "--", *command],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return run.stdout.strip().splitlines()[-1]


def throughput(people: int = 1000, hours: int = 365 * 24) -> None:
    """Time the batch detector over ``people`` × a year of hourly buckets (sparse and busy people)."""
    import numpy as np

    from monitor.spikes.batch import detect_many

    rng = np.random.default_rng(1)
    rates = rng.choice([0.05, 0.2, 1.0, 5.0, 30.0], size=(people, 1))
    counts = rng.poisson(rates, size=(people, hours))
    started, cpu = time.perf_counter(), time.process_time()
    flags = detect_many(counts, params=HOURLY_PARAMS)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"batch detector: {people:,} people x {hours:,} hourly buckets in {seconds:.2f} s wall, {cpu:.2f} s CPU "
        f"({people * hours / seconds:,.0f} buckets/s, {sum(map(len, flags))} episodes; load average {load:.1f})"
    )
    sample = 20  # the streaming detector, one series after another, on the first people
    started = time.perf_counter()
    streamed = [[f.index for f in detect(row.tolist(), params=HOURLY_PARAMS)] for row in counts[:sample]]
    per_person = (time.perf_counter() - started) / sample
    assert streamed == flags[:sample], "the batch and streaming detectors disagree"
    print(
        f"  baseline, the streaming detector series by series: {per_person * people:.1f} s for {people:,} people "
        f"(timed on {sample}), {per_person * people / seconds:.0f}x slower; same flags"
    )
    print(f"  this machine's speed: a pure-Python loop of 10 million additions in {python_loop():.2f} s")


def python_loop() -> float:
    """Seconds for a fixed pure-Python loop: what to scale this run's times by to compare machines."""
    started, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


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
    import spike_devset
    from spike_regimes import calibration_table, regime_table, sensitivity_table

    if "--seeds" in argv:
        spike_devset.SEEDS = tuple(int(s) for s in argv[argv.index("--seeds") + 1].split(","))
        print(f"seeds {spike_devset.SEEDS}")
    if "--ps" in argv:
        spike_devset.THIN_PS = tuple(float(p) for p in argv[argv.index("--ps") + 1].split(","))
        print(f"thinned at p = {spike_devset.THIN_PS}")
    nab = load_scorer()
    series = load_series(nab)
    print(
        f"NAB realTweets: {len(series)} series, {sum(len(v) for v, _ in series.values()):,} rows; "
        f"SERIES_PARAMS scan_threshold={SERIES_PARAMS.scan_threshold}, scan_peak_factor={SERIES_PARAMS.scan_peak_factor}"
    )
    select = SELECT_SEEDS
    if "--select-seeds" in argv:
        select = tuple(int(s) for s in argv[argv.index("--select-seeds") + 1].split(","))
    regime_table(nab, series, quick="--quick" in argv, select_seeds=select)
    if "--quick" not in argv:
        sensitivity_table(nab, series)
        calibration_table(series)
    throughput()
    online_step()
    if "--no-cli" not in argv:
        print(f"nab_score.py on `monitor spikes detect` (shipped series): {run_cli_scorer()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
