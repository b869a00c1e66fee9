"""Spike detection: a causal, online detector over evenly spaced counts, and spikes per person.

- ``detector``: the streaming detector (seasonal, winsorised baseline on log counts; a
  Poisson tail for sparse counts; episodes with start, peak and end; explanations).
- ``series``: ``monitor spikes detect`` over a ``timestamp,value`` CSV.
- ``state``: each series' detector stored in ``spikestate``, fed only buckets that closed since.
- ``live``: counts per person (and per person and source kind) from the database, and the
  ``Spike`` rows; ``groups`` folds per-kind spikes under the person's spike they overlap.
"""

from monitor.spikes.detector import (
    AFTER_SILENCE,
    BURST,
    HOURLY_PARAMS,
    SERIES_PARAMS,
    Detector,
    Episode,
    Flag,
    Params,
    detect,
    explain,
    find_episodes,
    poisson_sf,
)
from monitor.spikes.live import HOUR, floor_hour, hourly_counts, update_spikes
from monitor.spikes.state import ALL_KINDS
from monitor.spikes.series import detect_csv, read_series

__all__ = [
    "ALL_KINDS", "AFTER_SILENCE", "BURST", "HOURLY_PARAMS", "HOUR", "SERIES_PARAMS", "Detector", "Episode", "Flag", "Params",
    "detect", "detect_csv", "explain", "find_episodes", "floor_hour", "hourly_counts", "poisson_sf",
    "read_series", "update_spikes",
]
