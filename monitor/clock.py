"""Time as the monitor keeps it: aware UTC. Outside the layers (it imports nothing of ours)."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as aware UTC; a naive value is taken to be UTC already (SQLite hands those back)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
