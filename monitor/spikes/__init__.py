"""Spike detection: a causal, online detector over evenly spaced counts, and spikes per person.

- ``detector``: the streaming detector (seasonal, winsorised baseline on log counts; a
  Poisson tail for sparse counts; episodes with start, peak and end; explanations).
- ``series``: ``monitor spikes detect`` over a ``timestamp,value`` CSV.
- ``live``: zero-filled hourly counts per person from the database and the ``Spike`` rows.
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
from monitor.spikes.series import detect_csv, read_series

__all__ = [
    "AFTER_SILENCE", "BURST", "HOURLY_PARAMS", "HOUR", "SERIES_PARAMS", "Detector", "Episode", "Flag", "Params",
    "detect", "detect_csv", "explain", "find_episodes", "floor_hour", "hourly_counts", "poisson_sf",
    "read_series", "update_spikes",
]
