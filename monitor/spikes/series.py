"""``monitor spikes detect``: the detector over a ``timestamp,value`` CSV, one JSON line per flag."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from monitor.spikes.detector import SERIES_PARAMS, Params, detect, rescaled

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
CSV_HEADER = ["timestamp", "value"]
DAY = timedelta(days=1)
SPACINGS = 1000  # leading spacings whose median is the bucket size


def read_series(path: str | Path) -> tuple[list[str], list[float]]:
    """Timestamps (as written) and values of a ``timestamp,value`` CSV.

    Raises ValueError naming the line of a bad header or row.
    """
    stamps: list[str] = []
    values: list[float] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if [h.strip().lower() for h in header or []] != CSV_HEADER:
            raise ValueError(f"line 1: expected header 'timestamp,value', got {','.join(header or [])!r}")
        for row in reader:
            if row:
                stamp, value = _parse_row(row, reader.line_num)
                stamps.append(stamp)
                values.append(value)
    return stamps, values


def _parse_row(row: list[str], line: int) -> tuple[str, float]:
    if len(row) != 2:
        raise ValueError(f"line {line}: expected 2 fields (timestamp,value), got {len(row)}")
    stamp, raw = row[0].strip(), row[1].strip()
    try:
        datetime.strptime(stamp, TIMESTAMP_FORMAT)
    except ValueError:
        raise ValueError(f"line {line}: timestamp {stamp!r} is not YYYY-MM-DD HH:MM:SS") from None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"line {line}: value {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"line {line}: value {raw!r} is not a finite number")
    return stamp, value


def rows_per_day(stamps: list[str], default: int) -> int:
    """Buckets per day from the median spacing of the first timestamps.

    The series should be evenly spaced; the median keeps one missing, repeated or shifted row
    near the start from setting every rate of the detector to another clock (the first two
    rows alone would have: one missing row halves the buckets per day)."""
    head = [datetime.strptime(s, TIMESTAMP_FORMAT) for s in stamps[: SPACINGS + 1]]
    steps = sorted(b - a for a, b in zip(head, head[1:]))
    if not steps:
        return default
    step = steps[(len(steps) - 1) // 2]
    return max(1, round(DAY / step)) if step > timedelta(0) else default


def params_for(stamps: list[str], params: Params) -> Params:
    """``params`` with its clock rescaled to the series' bucket size (all rates are per day)."""
    return rescaled(params, rows_per_day(stamps, params.rows_per_day))


def detect_csv(path: str | Path, *, params: Params = SERIES_PARAMS) -> Iterator[str]:
    """One JSON line ``{"timestamp", "value", "expected", "score"}`` per episode's first row.

    The whole file is validated before the first line is yielded, so a bad row never
    leaves half an output behind.
    """
    stamps, values = read_series(path)
    for flag in detect(values, params=params_for(stamps, params)):
        record = {
            "timestamp": stamps[flag.index],
            "value": _number(flag.value),
            "expected": _number(flag.expected),
            "score": round(flag.score, 3),
        }
        yield json.dumps(record)


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 3)
