"""How often a feed asks to be read: RSS ``<ttl>`` and the syndication module's
``sy:updatePeriod``/``sy:updateFrequency``. Read from the head of the document, where
channels declare them, so no second parse is needed."""

from __future__ import annotations

import re

HEAD_BYTES = 16_384
PERIODS = {"hourly": 3600, "daily": 86_400, "weekly": 604_800, "monthly": 2_592_000, "yearly": 31_536_000}
_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>", re.I)
_PERIOD = re.compile(rb"<sy:updatePeriod>\s*(\w+)\s*</sy:updatePeriod>", re.I)
_FREQUENCY = re.compile(rb"<sy:updateFrequency>\s*(\d{1,5})\s*</sy:updateFrequency>", re.I)


def min_interval_seconds(body: bytes) -> float | None:
    """The shortest interval the feed itself asks for, in seconds, or None when it says nothing."""
    head = body[:HEAD_BYTES]
    hints = []
    if ttl := _TTL.search(head):
        hints.append(int(ttl.group(1)) * 60)
    if period := _PERIOD.search(head):
        seconds = PERIODS.get(period.group(1).decode("ascii", "replace").lower())
        frequency = _FREQUENCY.search(head)
        if seconds:
            hints.append(seconds / max(1, int(frequency.group(1)) if frequency else 1))
    return max(hints) if hints else None
