"""Operations: poll counters, the worker heartbeat, and ``/metrics`` in Prometheus text format.

Everything is computed from the database and the broker at scrape time, so any number of
workers and web processes report one truth and nothing is lost when a process restarts.
Labels carry source ids, never URLs: a Google News query URL says who is watched.
"""

from __future__ import annotations

import functools
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from monitor.core.models import Heartbeat, Mention, Source, SourceStats, utcnow
from monitor.core.settings import get_settings

HEARTBEAT = "worker"
HEARTBEAT_STALE_SECONDS = 180
CELERY_QUEUE = "celery"


def record_polls(session: Session, *, results) -> None:
    """Add one poll (and its error and new mentions) per result to the running totals."""
    rows = [
        {"source_id": r.source_id, "polls": 1, "errors": int(bool(r.error)), "new_mentions": r.new} for r in results
    ]
    if not rows:
        return
    # Sorted, so that two writers take the row locks in one order; one cached statement run
    # over the rows (a multi-row VALUES is compiled anew for every batch).
    session.execute(_add_polls(session.get_bind().dialect.name), sorted(rows, key=lambda row: row["source_id"]))


@functools.lru_cache(maxsize=2)
def _add_polls(dialect_name: str):
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(SourceStats)
    table = SourceStats.__table__.c
    return statement.on_conflict_do_update(
        index_elements=["source_id"],
        set_={name: table[name] + statement.excluded[name] for name in ("polls", "errors", "new_mentions")},
    )


def beat(session: Session, *, now: datetime | None = None) -> None:
    """Record that a worker is consuming tasks now (the heartbeat task's body)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Heartbeat).values(name=HEARTBEAT, beat_at=now or utcnow())
    session.execute(
        statement.on_conflict_do_update(index_elements=["name"], set_={"beat_at": statement.excluded.beat_at})
    )


def heartbeat_age(session: Session, *, now: datetime | None = None) -> float | None:
    """Seconds since a worker last ran the heartbeat task, or None when none ever did."""
    beat_at = session.execute(sa.select(Heartbeat.beat_at).where(Heartbeat.name == HEARTBEAT)).scalar()
    return None if beat_at is None else max(0.0, ((now or utcnow()) - beat_at).total_seconds())


def heartbeat_status(session: Session) -> dict:
    """What ``/healthz`` adds: the heartbeat's age and whether the workers look alive."""
    age = heartbeat_age(session)
    state = "unknown" if age is None else ("ok" if age <= HEARTBEAT_STALE_SECONDS else "stale")
    return {"worker": state, "heartbeat_age_seconds": None if age is None else round(age, 1)}


def queue_length(settings=None) -> int | None:
    """Messages waiting in the Celery queue (Redis list or the embedded folder); None if unknown."""
    settings = settings or get_settings()
    try:
        if settings.redis_url():
            import redis

            client = redis.Redis.from_url(settings.redis_url(), socket_timeout=2, socket_connect_timeout=2)
            return int(client.llen(CELERY_QUEUE))
        folder = settings.embedded_broker_dir() / "queue"
        # A message being written has another name until it is whole (workers.broker).
        return sum(1 for path in folder.glob("*.msg") if path.is_file()) if folder.exists() else 0
    except Exception:  # noqa: BLE001 - a scrape must answer even with the broker away
        return None


def render(session: Session, *, settings=None) -> str:
    """The Prometheus text exposition of the monitor's metrics."""
    lines: list[str] = []
    stats = session.execute(
        sa.select(SourceStats.source_id, SourceStats.polls, SourceStats.errors, SourceStats.new_mentions)
    ).all()
    _family(lines, "monitor_polls_total", "counter", "Polls per source.", [(r[0], r[1]) for r in stats])
    _family(lines, "monitor_poll_errors_total", "counter", "Failed polls per source.", [(r[0], r[2]) for r in stats])
    _family(
        lines, "monitor_new_mentions_total", "counter", "New mentions stored per source.", [(r[0], r[3]) for r in stats]
    )
    success = session.execute(sa.select(Source.id, Source.last_success_at).where(Source.last_success_at != None)).all()  # noqa: E711
    _family(
        lines,
        "monitor_last_successful_poll_timestamp_seconds",
        "gauge",
        "Unix time of the last successful poll.",
        [(source_id, at.timestamp()) for source_id, at in success],
    )
    mentions = session.execute(sa.select(sa.func.count()).select_from(Mention)).scalar_one()
    _gauge(lines, "monitor_mentions", "Mentions stored.", mentions)
    _gauge(lines, "monitor_queue_length", "Messages waiting in the Celery queue.", queue_length(settings))
    _gauge(
        lines,
        "monitor_heartbeat_age_seconds",
        "Seconds since a worker last ran the heartbeat task.",
        heartbeat_age(session),
    )
    _streams(lines, session)
    return "\n".join(lines) + "\n"


def _streams(lines: list[str], session: Session) -> None:
    """The stream process's families (issue 17): lag, events, skipped frames, polling fallback."""
    from monitor.core.storage.streams import states

    found, now = states(session), utcnow()
    lags = [(i, max(0.0, (now - s.last_event_at).total_seconds())) for i, s in found.items() if s.last_event_at]
    _family(
        lines, "monitor_stream_lag_seconds", "gauge", "Now minus the time of the last event a stream consumed.", lags
    )
    _family(
        lines,
        "monitor_stream_events_total",
        "counter",
        "Events a stream consumed.",
        [(i, s.events) for i, s in found.items()],
    )
    _family(
        lines,
        "monitor_stream_skipped_total",
        "counter",
        "Stream frames skipped as malformed.",
        [(i, s.skipped) for i, s in found.items()],
    )
    _family(
        lines,
        "monitor_stream_polling",
        "gauge",
        "1 when a stream was refused and its timelines are polled instead.",
        [(i, int(s.mode == "polling")) for i, s in found.items()],
    )


def _family(lines: list[str], name: str, kind: str, help_text: str, samples) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f'{name}{{source_id="{source_id}"}} {_number(value)}' for source_id, value in sorted(samples)]


def _gauge(lines: list[str], name: str, help_text: str, value) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    if value is not None:
        lines.append(f"{name} {_number(value)}")


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
