"""Spike detection: a causal, online detector over evenly spaced counts, and spikes per person.

- ``detector``: the streaming detector (a seasonal z on log counts for busy names, the
  negative-binomial count model of ``countmodel`` for every level; episodes with start,
  peak and end); ``batch``: the same over many series at once.
- ``countmodel`` (``batch_counts`` for many series): the negative-binomial count model.
- ``sensitivity``: a person's quiet / normal / eager thresholds and mute date.
- ``wording``: how a spike reads ("41 mentions between 09:00 and 10:00 UTC — 3 stories…").
- ``series``: ``monitor spikes detect`` over a ``timestamp,value`` CSV.

Pure: no database. Each series' stored detector state, the counts per person from the
database and the ``Spike`` rows live with storage (``monitor.core.storage.spike_state``,
``.spikes``, ``.spike_groups``).
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
    find_episodes,
    poisson_sf,
)
from monitor.spikes.series import detect_csv, read_series
from monitor.spikes.wording import describe

__all__ = [
    "AFTER_SILENCE",
    "BURST",
    "HOURLY_PARAMS",
    "SERIES_PARAMS",
    "Detector",
    "Episode",
    "Flag",
    "Params",
    "describe",
    "detect",
    "detect_csv",
    "find_episodes",
    "poisson_sf",
    "read_series",
]
