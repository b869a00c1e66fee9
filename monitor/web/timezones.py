"""Times as the reader reads them: in their own timezone, with UTC on hover.

A user's ``timezone`` (set on ``/settings``) wins; without one, pages use the ``[digest]
timezone`` of the config file, the zone the team already chose for its day. The config is
read again only when the file changes, and an unreadable one means UTC (the command line,
not a page view, is where a bad config is reported).
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from markupsafe import Markup, escape

from monitor.core.config_file import ConfigError, load_watchlist
from monitor.core.settings import get_settings
from monitor.review.preferences import zone_named  # noqa: F401 - the pages read zones through here

UTC = ZoneInfo("UTC")
LOCAL_FORMAT = "%Y-%m-%d %H:%M"


@functools.lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name, sorted, for the settings form."""
    return tuple(sorted(available_timezones()))


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


@functools.lru_cache(maxsize=4)
def _digest_zone(path: str, mtime: float | None) -> ZoneInfo:
    try:
        return load_watchlist(path).digest.zone
    except (ConfigError, OSError):
        return UTC


def digest_zone() -> ZoneInfo:
    """The config's ``[digest] timezone``; UTC when the file is missing or invalid."""
    path = Path(get_settings().config)
    return _digest_zone(str(path), _mtime(path))


def reader_zone(user) -> ZoneInfo:
    """The zone ``user`` reads times in: their own setting, else the digest timezone."""
    return zone_named(getattr(user, "timezone", None)) or digest_zone()


def local_time(value: datetime | None, zone: ZoneInfo | None = None) -> Markup:
    """``<time>`` showing ``value`` in ``zone`` (zone abbreviation included), UTC in its title."""
    if value is None:
        return Markup("—")
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    local = value.astimezone(zone or UTC)
    utc = value.astimezone(timezone.utc)
    return Markup('<time datetime="{iso}" title="{utc} UTC">{shown} {abbr}</time>').format(
        iso=utc.isoformat(),
        utc=utc.strftime(LOCAL_FORMAT),
        shown=local.strftime(LOCAL_FORMAT),
        abbr=escape(local.tzname() or ""),
    )
