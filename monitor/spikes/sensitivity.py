"""A person's alert sensitivity and mute: how big a burst must be, and when spikes stay silent.

``quiet`` asks for a clearly bigger burst than ``normal`` before a spike opens (both the log
test's z and the count model's surprise must be higher by ``FACTORS``), ``eager`` for a
smaller one. The minimum evidence is never lowered: 0 → 2 is not a spike for anyone.
A mute keeps detecting and showing spikes but sends no alert through the named day (UTC).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from monitor.spikes.detector import Params

SENSITIVITIES = ("quiet", "normal", "eager")
DEFAULT = "normal"
FACTORS = {"quiet": 1.5, "normal": 1.0, "eager": 0.75}


def params_for(params: Params, sensitivity: str | None) -> Params:
    """``params`` with the thresholds of ``sensitivity`` (unknown or None: normal)."""
    factor = FACTORS.get(sensitivity or DEFAULT, 1.0)
    if factor == 1.0:
        return params
    return replace(params, threshold=params.threshold * factor, scan_threshold=params.scan_threshold * factor)


def muted(mute_until: date | None, now: datetime) -> bool:
    """Whether a mute through ``mute_until`` (a UTC day, inclusive) still holds at ``now``."""
    if mute_until is None:
        return False
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc).date() <= mute_until


def settings_of(person) -> dict:
    """A person row's alert sensitivity and mute as the audit log records them."""
    return {"alert": person.alert, "mute_until": person.mute_until.isoformat() if person.mute_until else None}


def apply_config(person, alert: str | None, mute_until: date | None) -> None:
    """Set a person row's ``alert`` and ``mute_until`` from their config entry.

    When the entry names either, the config owns both (the web shows them read-only); when it
    names neither, a setting the config made before is lifted and the web's own stays."""
    if alert is not None or mute_until is not None:
        person.alert, person.mute_until, person.alert_from_config = alert or DEFAULT, mute_until, True
    elif person.alert_from_config:
        person.alert, person.mute_until, person.alert_from_config = DEFAULT, None, False
