"""Counts per person (and per person and source kind) from the database, and spikes as ``Spike`` rows.

``update_spikes`` feeds each series' stored detector (``state``) the buckets that closed
since it last ran, so no history is reread, then judges the buckets still open on a copy
(a burst is flagged while it happens; the copy is not stored, as those counts may grow).
Each episode is recorded once, keyed by (person, source kind, first bucket) with ``ON
CONFLICT DO NOTHING``; one that grows later (a higher peak, a later end) is updated in
place by a conditional UPDATE and never returned, so it is never alerted twice.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Mention, MentionPerson, Person, Source, Spike
from monitor.core.settings import get_settings
from monitor.core.storage import insert_ignore
from monitor.core.storage.spike_groups import bucket_of
from monitor.core.storage.spike_state import (
    ALL_KINDS,
    Series,
    bucket_number,
    floor_bucket,
    load_series,
    params_for_bucket,
    save_all,
    skip_quiet_starts,
)
from monitor.spikes.detector import HOURLY_PARAMS, Detector, Episode, Params
from monitor.spikes.sensitivity import params_for as params_for_sensitivity
from monitor.spikes.wording import WindowCounts, describe

HOUR = timedelta(hours=1)
DEFAULT_LOOKBACK_HOURS = 14 * 24
DEFAULT_RECENT_HOURS = 48
# Mentions published just before a bucket ends can arrive a few minutes later: a bucket is
# fed to the stored detector only this long after it ends (until then it is judged on a copy).
DEFAULT_GRACE = timedelta(minutes=15)


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
    when = Mention.at.label("when")
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
    bucket: timedelta | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> list[Spike]:
    """Record the spike episodes of every active person's series; return only the newly recorded ones.

    A series seen for the first time learns from the last ``lookback_hours``; after that
    only buckets that closed since the last run are read. Episodes starting within the
    last ``recent_hours`` are recorded. ``bucket`` defaults to ``MONITOR_SPIKE_BUCKET_MINUTES``
    (``params`` are rescaled to it). Safe to run concurrently and repeatedly.
    """
    bucket = bucket or timedelta(minutes=get_settings().spike_bucket_minutes)
    params = params_for_bucket(params, bucket)
    closed_until = floor_bucket(now - grace, bucket)  # buckets before this one are final
    open_until = floor_bucket(now, bucket) + bucket
    series = load_series(
        session, keys=_series_keys(session), bucket=bucket, params=params, start=open_until - lookback_hours * HOUR
    )
    if not series:
        return []
    counts = _counts(session, series, min(s.next_bucket for s in series), open_until)
    sensitivity = dict(session.execute(sa.select(Person.id, Person.alert)).all())
    for one in series:
        one.detector.retune(params_for_sensitivity(params, sensitivity.get(one.person_id)))
    skip_quiet_starts(series, counts, closed_until)
    rows = []
    for one in series:
        rows += _advance(one, counts.get((one.person_id, one.source_kind), {}), closed_until, open_until, now)
    save_all(session, series, now=now)
    rows = [row for row in rows if row["hour"] >= floor_bucket(now, bucket) - recent_hours * HOUR]
    for row, counted in zip(rows, windows_counts(session, rows, bucket)):
        row["explanation"] = describe(counted, row["hour"], row["end_at"] + bucket, usual_per_day=row["usual_per_day"])
    inserted = insert_ignore(session, Spike, rows, keys=["person_id", "source_kind", "hour"])
    order = (Spike.hour, Spike.person_id, Spike.source_kind)
    new = list(session.exec(select(Spike).where(Spike.id.in_(inserted)).order_by(*order)))
    ours = {(spike.person_id, spike.source_kind, spike.hour) for spike in new}
    # A row just inserted holds this run's values already: only the others can have grown.
    _refresh_grown(session, [row for row in rows if (row["person_id"], row["source_kind"], row["hour"]) not in ours])
    session.flush()
    return new


def _advance(series: Series, counts: dict[int, int], closed_until, open_until, now) -> list[dict]:
    """Feed the closed buckets (the caller stores the state); judge the open ones on a copy; the episodes' rows."""
    series.feed(counts, closed_until)
    episodes = {e.start: e for e in series.detector.episodes}
    still_open = range(bucket_number(series.next_bucket, series.bucket), bucket_number(open_until, series.bucket))
    if any(counts.get(n) for n in still_open):  # empty buckets cannot open an episode: no copy needed
        peek = Series(
            series.person_id,
            series.source_kind,
            series.bucket,
            Detector.restore(series.detector.state(), series.detector.params),
            series.next_bucket,
        )
        peek.feed(counts, open_until)
        episodes.update({e.start: e for e in peek.detector.episodes})
    return [_row(series, episode, now) for episode in episodes.values()]


def _series_keys(session: Session) -> list[tuple[int, str]]:
    """(person id, source kind) of every series: each active person's whole volume, and per kind
    when the sources are of more than one kind."""
    people = list(session.exec(select(Person.id).where(Person.active == sa.true()).order_by(Person.id)))
    kinds = sorted(set(session.exec(select(Source.kind).distinct())))
    per_kind = kinds if len(kinds) > 1 else []
    return [(person_id, kind) for person_id in people for kind in [ALL_KINDS, *per_kind]]


def _counts(session: Session, series: list[Series], start: datetime, end: datetime) -> dict:
    """Mentions per series and bucket number in [start, end): {(person id, kind): {bucket: n}}."""
    bucket = series[0].bucket
    when = Mention.at.label("when")
    statement = (
        sa.select(MentionPerson.person_id, Source.kind, when)
        .join(Mention, Mention.id == MentionPerson.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .where(MentionPerson.person_id.in_({s.person_id for s in series}), when >= start, when < end)
    )
    counts: dict[tuple[int, str], dict[int, int]] = {}
    for person_id, kind, moment in session.execute(statement):
        number = bucket_number(moment, bucket)
        for key in ((person_id, ALL_KINDS), (person_id, kind)):
            per_bucket = counts.setdefault(key, {})
            per_bucket[number] = per_bucket.get(number, 0) + 1
    return counts


def _row(series: Series, episode: Episode, now: datetime) -> dict:
    flag, best = episode.flag, episode.best
    return dict(
        person_id=series.person_id,
        source_kind=series.source_kind,
        bucket_seconds=int(series.bucket.total_seconds()),
        hour=series.time_of(episode.start),
        count=int(flag.value),
        expected=round(flag.expected, 3),
        score=round(best.score, 3),
        p_value=best.p_value,
        kind=episode.kind,
        peak_at=series.time_of(episode.peak),
        peak_count=int(episode.peak_value),
        end_at=series.time_of(episode.end),
        total=int(episode.total),
        usual_per_day=round(episode.flag.usual * series.detector.params.rows_per_day, 3),
        detected_at=now,
    )


def window_counts(session: Session, row: dict, bucket: timedelta) -> WindowCounts:
    """Mentions, distinct stories (clusters) and distinct authors of a spike row's series in its window."""
    return windows_counts(session, [row], bucket)[0]


def spikes_counts(session: Session, spikes: list[Spike]) -> list[WindowCounts]:
    """``window_counts`` of stored spikes: one query per bucket size among them (usually one)."""
    counted: dict[int, WindowCounts] = {}
    for bucket in {bucket_of(spike) for spike in spikes}:
        same = [spike for spike in spikes if bucket_of(spike) == bucket]
        rows = [
            dict(person_id=s.person_id, source_kind=s.source_kind, hour=s.hour, end_at=s.end_at or s.hour) for s in same
        ]
        counted.update(zip((spike.id for spike in same), windows_counts(session, rows, bucket)))
    return [counted[spike.id] for spike in spikes]


def windows_counts(session: Session, rows: list[dict], bucket: timedelta) -> list[WindowCounts]:
    """``window_counts`` of each spike row, from one query over their people and windows' span
    (a first refresh explains a thousand spikes: a query each cost half a CPU-second, issue 15)."""
    if not rows:
        return []
    start, end = min(row["hour"] for row in rows), max(row["end_at"] for row in rows) + bucket
    statement = (
        sa.select(MentionPerson.person_id, Mention.at.label("at"), Mention.cluster_id, Mention.author, Source.kind)
        .select_from(Mention)
        .join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .outerjoin(Source, Source.id == Mention.source_id)
        .where(MentionPerson.person_id.in_({row["person_id"] for row in rows}), Mention.at >= start, Mention.at < end)
    )
    by_person: dict[int, list] = {}
    for mention in session.execute(statement):
        by_person.setdefault(mention.person_id, []).append(mention)
    return [_tally(by_person.get(row["person_id"], []), row, bucket) for row in rows]


def _tally(mentions: list, row: dict, bucket: timedelta) -> WindowCounts:
    """One row's counts over the person's mentions of the span: a mention not yet clustered is a
    story of its own."""
    start, end, kind = row["hour"], row["end_at"] + bucket, row["source_kind"]
    inside = [m for m in mentions if start <= m.at < end and kind in (ALL_KINDS, m.kind)]
    stories = len({m.cluster_id for m in inside if m.cluster_id is not None})
    stories += sum(1 for m in inside if m.cluster_id is None)  # a mention not yet clustered is a story of its own
    return WindowCounts(len(inside), stories, len({m.author for m in inside if m.author is not None}))


def span_text(bucket: timedelta) -> str:
    """How a bucket reads in an explanation: "hour", "5 minutes", "day"."""
    minutes = int(bucket.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return "day" if minutes == 24 * 60 else f"{minutes // (24 * 60)} days"
    if minutes % 60 == 0:
        return "hour" if minutes == 60 else f"{minutes // 60} hours"
    return f"{minutes} minutes"


GROWING = ("count", "peak_at", "peak_count", "end_at", "total", "score", "p_value", "explanation", "usual_per_day")


def _refresh_grown(session: Session, rows: list[dict]) -> None:
    """Move a recorded episode's peak and end forward as it grows; a conditional UPDATE per row."""
    for row in rows:
        grown = sa.or_(
            Spike.count < row["count"],
            Spike.peak_count < row["peak_count"],
            Spike.end_at < row["end_at"],
            Spike.total < row["total"],
        )
        same = (Spike.person_id == row["person_id"], Spike.source_kind == row["source_kind"], Spike.hour == row["hour"])
        session.execute(sa.update(Spike).where(*same, grown).values({k: row[k] for k in GROWING}))
