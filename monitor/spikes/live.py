"""Hourly counts per person from the database, and spike episodes recorded as ``Spike`` rows.

``update_spikes`` runs the detector over each active person's zero-filled hourly counts
and records each episode once, keyed by its first hour (``ON CONFLICT DO NOTHING`` on
(person, hour)); an episode that grows later (a higher peak, a later end) is updated in
place by a conditional UPDATE and never returned, so it is never alerted twice.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.models import Mention, MentionPerson, Person, Spike
from monitor.spikes.detector import HOURLY_PARAMS, Episode, Params, explain, find_episodes
from monitor.store import insert_ignore

HOUR = timedelta(hours=1)
DEFAULT_LOOKBACK_HOURS = 14 * 24
DEFAULT_RECENT_HOURS = 48


def floor_hour(moment: datetime) -> datetime:
    """The start of the UTC hour containing ``moment`` (naive times are taken as UTC)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def hourly_counts(session: Session, *, person_id: int, start: datetime, end: datetime) -> list[int]:
    """Mentions of a person per UTC hour from the hour of ``start`` up to ``end`` (exclusive).

    A mention counts in the hour it was published, or fetched when the feed gave no date.
    Hours without mentions are 0, so the list is evenly spaced as the detector needs.
    """
    first = floor_hour(start)
    return _bucket(_mention_times(session, [person_id], first, end).get(person_id, []), first, end)


def _mention_times(
    session: Session, person_ids: list[int], start: datetime, end: datetime
) -> dict[int, list[datetime]]:
    """When each person's mentions in [start, end) happened, by person id."""
    when = sa.func.coalesce(Mention.published_at, Mention.fetched_at).label("when")
    statement = (
        sa.select(MentionPerson.person_id, when)
        .join(Mention, Mention.id == MentionPerson.mention_id)
        .where(MentionPerson.person_id.in_(person_ids), when >= start, when < end)
    )
    times: dict[int, list[datetime]] = {}
    for person_id, moment in session.execute(statement):
        times.setdefault(person_id, []).append(moment)
    return times


def _bucket(times: list[datetime], first: datetime, end: datetime) -> list[int]:
    hours = max(0, math.ceil((end - first) / HOUR))
    counts = [0] * hours
    for moment in times:
        slot = (floor_hour(moment) - first) // HOUR
        if 0 <= slot < hours:
            counts[slot] += 1
    return counts


def update_spikes(
    session: Session,
    *,
    now: datetime,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
    recent_hours: int = DEFAULT_RECENT_HOURS,
    params: Params = HOURLY_PARAMS,
) -> list[Spike]:
    """Record the spike episodes of every active person; return only the newly recorded ones.

    Each person's zero-filled hourly counts over ``lookback_hours`` up to and including the
    current, incomplete hour go through the detector, so a burst is flagged while it
    happens. Episodes starting within the last ``recent_hours`` are inserted with ON
    CONFLICT DO NOTHING on (person, first hour); one already recorded that has grown is
    updated in place and not returned again. Safe to run concurrently and repeatedly.
    """
    end = floor_hour(now) + HOUR
    first = end - lookback_hours * HOUR
    person_ids = list(session.exec(select(Person.id).where(Person.active == sa.true()).order_by(Person.id)))
    times = _mention_times(session, person_ids, first, end)
    rows = []
    for person_id in person_ids:
        counts = _bucket(times.get(person_id, []), first, end)
        rows += _spike_rows(person_id, counts, first, now, recent_hours, params)
    inserted = insert_ignore(session, Spike, rows, keys=["person_id", "hour"])
    _refresh_grown(session, rows)
    session.flush()
    return list(session.exec(select(Spike).where(Spike.id.in_(inserted)).order_by(Spike.hour, Spike.person_id)))


def _spike_rows(person_id: int, counts: list[int], first: datetime, now: datetime, recent: int, params: Params):
    """Spike rows for the episodes starting among the last ``recent`` of ``counts``."""
    return [
        _row(person_id, episode, first, now)
        for episode in find_episodes(counts, params=params)
        if episode.start >= len(counts) - recent
    ]


def _row(person_id: int, episode: Episode, first: datetime, now: datetime) -> dict:
    flag, best = episode.flag, episode.best
    return dict(
        person_id=person_id,
        hour=first + episode.start * HOUR,
        count=int(flag.value),
        expected=round(flag.expected, 3),
        score=round(best.score, 3),
        p_value=best.p_value,
        kind=episode.kind,
        peak_at=first + episode.peak * HOUR,
        peak_count=int(episode.peak_value),
        end_at=first + episode.end * HOUR,
        total=int(episode.total),
        explanation=explain(best.value, best.expected, best.p_value),
        detected_at=now,
    )


def _refresh_grown(session: Session, rows: list[dict]) -> None:
    """Move a recorded episode's peak and end forward as it grows; a conditional UPDATE per row."""
    for row in rows:
        grown = sa.or_(Spike.count < row["count"], Spike.peak_count < row["peak_count"], Spike.end_at < row["end_at"], Spike.total < row["total"])
        session.execute(
            sa.update(Spike)
            .where(Spike.person_id == row["person_id"], Spike.hour == row["hour"], grown)
            .values({k: row[k] for k in ("count", "peak_at", "peak_count", "end_at", "total", "score", "p_value", "explanation")})
        )
