"""How a spike reads to a reviewer: counts of mentions, stories, copies and authors, and the usual rate.

"41 mentions between 09:00 and 10:00 UTC — 3 stories, 38 copies, 29 authors; usually about 2 a day"

No p-values, no "expected 0.0", no "in the last hour" about a window that has ended: a
window is named by its clock times, and the usual rate by the unit that gives it a
readable number (a day for quiet names, an hour for busy ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from monitor.clock import as_utc


@dataclass(frozen=True)
class WindowCounts:
    """What happened in a spike's window: rows, distinct stories (clusters) and distinct authors."""

    mentions: int
    stories: int
    authors: int


def describe(
    counts: WindowCounts, start: datetime, end: datetime, *, usual_per_day: float, zone: tzinfo = timezone.utc
) -> str:
    """One line: the window's counts between its start and end (in ``zone``), then the usual rate."""
    head = f"{_plural(counts.mentions, 'mention')} between {_clock(start, end, zone)}"
    parts = []
    if counts.stories:
        parts.append(_plural(counts.stories, "story", "stories"))
        if counts.mentions > counts.stories:
            parts.append(_plural(counts.mentions - counts.stories, "copy", "copies"))
    if counts.authors:
        parts.append(_plural(counts.authors, "author"))
    detail = f" — {', '.join(parts)}" if parts else ""
    return f"{head}{detail}; {usual(usual_per_day)}"


def usual(per_day: float) -> str:
    """ "usually about 2 a day", "usually about 40 an hour", "usually about 1 a week", "usually none"."""
    if per_day * 7 < 0.5:
        return "usually none"
    if per_day < 0.5:
        return f"usually about {_round(per_day * 7)} a week"
    if per_day >= 48:
        return f"usually about {_round(per_day / 24)} an hour"
    return f"usually about {_round(per_day)} a day"


def _clock(start: datetime, end: datetime, zone: tzinfo) -> str:
    """ "09:00 and 10:00 UTC", with dates when the window does not sit within one day."""
    start, end = as_utc(start).astimezone(zone), as_utc(end).astimezone(zone)
    name = start.tzname() or "UTC"
    last_moment = end - timedelta(microseconds=1)
    if start.date() == last_moment.date():
        return f"{start:%H:%M} and {end:%H:%M} {name}"
    return f"{start:%d %b %H:%M} and {end:%d %b %H:%M} {name}"


def _round(x: float) -> str:
    """A rate people read: 1 or more as a whole number, a rounded two significant figures above 10."""
    if x < 1.5:
        return "1"
    if x < 10:
        return f"{round(x)}"
    return f"{round(x, -1 if x < 100 else -2):.0f}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
