"""When to poll a source next. Pure rules plus the two writes that apply them.

* After a good poll the interval adapts: halved when most items were new (we may be
  missing some), stretched by half when nothing was new, always within the configured
  bounds and never below what the server asks for (``Cache-Control: max-age``, RSS ``ttl``,
  ``sy:updatePeriod``).
* After a failure the wait doubles per consecutive failure, weighted by how hopeless the
  error looks (permanent ×4, a body we cannot read ×2, transient ×1) and stretched to any
  ``Retry-After``. A source is never disabled: monitors must not lose one silently.
* A source that used to yield and has had nothing new for ``silent_after_intervals``
  intervals "went silent" (``is_silent``): a broken feed often looks exactly like that.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from monitor.core.models import Source
from monitor.core.settings import Settings, get_settings
from monitor.ingest.fetch import FetchError

MAX_BACKOFF = timedelta(hours=24)
MANY_NEW = 0.5
STRETCH = 1.5
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")


def next_interval(current: float, *, fetched: int, new: int, server_hint: float | None, settings: Settings) -> int:
    """The next poll interval in seconds after a successful poll."""
    if fetched and new / fetched >= MANY_NEW:
        current /= 2
    elif new == 0:
        current *= STRETCH
    low, high = settings.min_poll_interval_seconds, settings.max_poll_interval_seconds
    bounded = min(max(current, low), high)
    if server_hint:
        bounded = max(bounded, min(server_hint, high))
    return int(bounded)


def max_age(headers: dict[str, str]) -> float | None:
    """Seconds from ``Cache-Control: max-age``, if the server sent one."""
    found = _MAX_AGE.search(headers.get("cache-control", ""))
    return float(found.group(1)) if found else None


def _hint(*hints: float | None) -> float | None:
    given = [h for h in hints if h]
    return max(given) if given else None


def error_weight(exc: Exception) -> int:
    """How much longer to wait after this error than after a transient one."""
    if isinstance(exc, FetchError):
        return 4 if exc.permanent else 1
    return 2  # the server answered, but with something we cannot read


def backoff(interval: float, failures: int, exc: Exception) -> timedelta:
    """The wait before retrying a source that failed ``failures`` times in a row."""
    wait = timedelta(seconds=interval * error_weight(exc) * 2 ** min(failures - 1, 10))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:  # capped first: a hostile Retry-After must not overflow timedelta
        wait = max(wait, timedelta(seconds=min(float(retry_after), MAX_BACKOFF.total_seconds())))
    return min(wait, MAX_BACKOFF)


def is_silent(source: Source, now: datetime, settings: Settings | None = None) -> bool:
    """True when a source that used to yield new items has had none for many intervals. A stream
    row (origin "stream") is never silent this way: it has no interval, and its health is its lag."""
    settings = settings or get_settings()
    if source.last_new_at is None or not source.enabled or source.origin == "stream":
        return False
    interval = source.interval_seconds or settings.poll_interval_seconds
    return now - source.last_new_at > timedelta(seconds=interval * settings.silent_after_intervals)


def mark_success(
    source: Source,
    *,
    headers: dict[str, str],
    body_hash: str | None,
    result,
    now: datetime,
    cursor: str | None = None,
    feed_hint: float | None = None,
) -> None:
    """Store the validators as received, the API cursor, the poll's yield, and the next poll time."""
    settings = get_settings()
    source.etag = headers.get("etag", source.etag)
    source.last_modified = headers.get("last-modified", source.last_modified)
    source.body_hash = body_hash
    source.cursor = cursor or source.cursor
    source.last_polled_at = source.last_success_at = now
    source.first_success_at = source.first_success_at or now  # earlier items are backfill (alerts)
    source.last_error, source.consecutive_failures = None, 0
    source.lease_until = None
    if not result.not_modified:
        source.items_last_poll, source.new_last_poll = result.fetched, result.new
    if result.new:
        source.last_new_at = now
    current = source.interval_seconds or settings.poll_interval_seconds
    source.interval_seconds = next_interval(
        current,
        fetched=result.fetched,
        new=result.new,
        server_hint=_hint(max_age(headers), feed_hint),
        settings=settings,
    )
    source.next_poll_at = now + timedelta(seconds=source.interval_seconds)


def mark_failure(source: Source, *, exc: Exception, now: datetime, message: str | None = None) -> None:
    """Record the error on the source and schedule a retry with weighted backoff."""
    source.consecutive_failures += 1
    source.last_polled_at = source.last_error_at = now
    source.lease_until = None
    source.last_error = (message or str(exc))[:1000]
    interval = source.interval_seconds or get_settings().poll_interval_seconds
    source.next_poll_at = now + backoff(interval, source.consecutive_failures, exc)
