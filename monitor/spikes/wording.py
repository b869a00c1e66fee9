"""How a spike reads to a reviewer: counts of mentions, stories, copies and authors, and the usual rate.

"41 mentions between 09:00 and 10:00 UTC — 3 stories, 38 copies, 29 authors; usually about 2 a day"

No p-values, no "expected 0.0", no "in the last hour" about a window that has ended: a
window is named by its clock times, and the usual rate by the unit that gives it a
readable number (a day for quiet names, an hour for busy ones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from monitor.clock import as_utc

MONTH_DAYS = 30.4  # days of an average month, for "usually about 2 a month"


@dataclass(frozen=True)
class WindowCounts:
    """What happened in a spike's window: rows, distinct stories (clusters) and distinct authors."""

    mentions: int
    stories: int
    authors: int


def _english(message: str) -> str:
    return message


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def _short_day(moment: datetime) -> str:
    return f"{moment:%d %b}"


def describe(
    counts: WindowCounts,
    start: datetime,
    end: datetime,
    *,
    usual_per_day: float,
    zone: tzinfo = timezone.utc,
    gettext: Callable[[str], str] = _english,
    ngettext: Callable[[str, str, int], str] = _english_plural,
    day: Callable[[datetime], str] = _short_day,
) -> str:
    """One line: the window's counts between its start and end (in ``zone``), then the usual rate.

    This layer knows no catalogue: a page passes ``monitor.i18n``'s ``gettext``/``ngettext`` and
    a ``day`` formatter in its language (the English words are the msgids, marked here)."""
    mentions = ngettext("%(num)d mention", "%(num)d mentions", counts.mentions) % {"num": counts.mentions}
    start, end = as_utc(start).astimezone(zone), as_utc(end).astimezone(zone)
    name = start.tzname() or "UTC"
    clock = {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "zone": name}
    if start.date() != (end - timedelta(microseconds=1)).date():  # dates when it spans days
        clock = {"start": f"{day(start)} {start:%H:%M}", "end": f"{day(end)} {end:%H:%M}", "zone": name}
    head = gettext("%(mentions)s between %(start)s and %(end)s %(zone)s") % {"mentions": mentions, **clock}
    parts = []
    if counts.stories:
        parts.append(ngettext("%(num)d story", "%(num)d stories", counts.stories) % {"num": counts.stories})
        if counts.mentions > counts.stories:
            copies = counts.mentions - counts.stories
            parts.append(ngettext("%(num)d copy", "%(num)d copies", copies) % {"num": copies})
    if counts.authors:
        parts.append(ngettext("%(num)d author", "%(num)d authors", counts.authors) % {"num": counts.authors})
    detail = f" — {', '.join(parts)}" if parts else ""
    return f"{head}{detail}; {usual(usual_per_day, gettext=gettext)}"


def usual(per_day: float, *, gettext: Callable[[str], str] = _english) -> str:
    """ "usually about 2 a day", "usually about 40 an hour", "usually about 1 a week", "usually
    about 2 a month" (a jailed activist's usual), "usually none"."""
    if per_day * 7 < 0.5:
        if per_day * MONTH_DAYS < 0.5:
            return gettext("usually none")
        return gettext("usually about %(num)s a month") % {"num": _round(per_day * MONTH_DAYS)}
    if per_day < 0.5:
        return gettext("usually about %(num)s a week") % {"num": _round(per_day * 7)}
    if per_day >= 48:
        return gettext("usually about %(num)s an hour") % {"num": _round(per_day / 24)}
    return gettext("usually about %(num)s a day") % {"num": _round(per_day)}


def _round(x: float) -> str:
    """A rate people read: 1 or more as a whole number, a rounded two significant figures above 10."""
    if x < 1.5:
        return "1"
    if x < 10:
        return f"{round(x)}"
    return f"{round(x, -1 if x < 100 else -2):.0f}"
