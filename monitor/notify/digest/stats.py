"""What happened on one local day, for every active person at once: aggregate SQL queries.

``day_stats(session, day=…, zone=…)`` runs a fixed handful of ``GROUP BY`` queries over the
day's mentions (and the ``CHART_DAYS`` before it), whatever the number of recipients;
each recipient's digest is then a slice of the result. A mention's time is
``Mention.at``, published else first seen (indexed as ``ix_mention_at``); dismissed
mentions count nowhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor import i18n
from monitor.core.models import Mention, MentionPerson, Person, Source, Spike
from monitor.core.storage.spike_groups import SpikeGroup, group_spikes
from monitor.notify.mail import clip, oneline, plaintext, weburl
from monitor.review.cues import solidarity_sql

CHART_DAYS = 14  # days in each person's volume chart, the digest's day last
WEEK = 7
TOP_STORIES = 3
HIGHLIGHTS = 3
AT = Mention.at  # published, else first seen


@dataclass
class Post:
    """One mention as the digest quotes it; ``copies`` is how many mentions tell that story
    (``story``: its cluster, else minus the mention's id). A top story that supporters' posts
    tell is marked ``solidarity`` there rather than listed again under Solidarity."""

    id: int
    title: str
    text: str
    url: str | None
    source: str
    at: datetime
    copies: int = 1
    story: int = 0
    solidarity: bool = False

    # Cleaned once per day here rather than once per recipient in the templates.
    @cached_property
    def headline(self) -> str:
        return clip(oneline(self.title) or plaintext(self.text) or "(untitled)", 160)

    @cached_property
    def link(self) -> str:
        return weburl(self.url)

    @cached_property
    def source_name(self) -> str:
        return clip(oneline(self.source), 60)


@dataclass
class PersonStats:
    """One person's numbers for the day; ``daily`` holds CHART_DAYS counts, the day last."""

    daily: list[int] = field(default_factory=lambda: [0] * CHART_DAYS)
    confirmed: int = 0
    unreviewed: int = 0
    stories: list[Post] = field(default_factory=list)
    highlights: list[Post] = field(default_factory=list)


@dataclass
class SpikeLine:
    """One spike (its first bucket in local time): observed ``count`` against ``expected``.

    ``kinds`` names the source kinds that spiked inside it (their own spikes are not listed
    again); ``expected_by_reviewer`` when a reviewer marked it as expected.
    """

    person: str
    hour: datetime
    count: int
    expected: float
    kinds: list[str] = field(default_factory=list)
    expected_by_reviewer: bool = False


@dataclass
class SourceLine:
    """A source that failed (``error``: what the last poll said) or went silent (``error`` None)."""

    name: str
    url: str
    error: str | None

    @property
    def problem(self) -> str:
        """One line for the reader, in the language of the render (stats are shared by every language)."""
        if self.error is None:
            return i18n.gettext("silent: mentions in the week before, none this day")
        return i18n.gettext("failing: %(error)s") % {"error": self.error}


@dataclass
class DayStats:
    """Every active person's numbers for one local day in one timezone."""

    day: date
    zone: ZoneInfo
    start: datetime
    end: datetime
    people: dict[int, str]
    persons: dict[int, PersonStats]
    mention_ids: dict[int, set[int]]  # person id -> the day's mentions naming them
    spikes: list[tuple[int, SpikeLine]]
    sources: list[SourceLine]


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of the local ``day`` in UTC (23 or 25 hours long on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def day_stats(session: Session, *, day: date, zone: ZoneInfo) -> DayStats:
    """Aggregate the local ``day`` (and the chart days before it) for every active person."""
    start, end = day_bounds(day, zone)
    people = dict(session.exec(select(Person.id, Person.name).where(Person.active == True)).all())  # noqa: E712
    persons = {pid: PersonStats() for pid in people}
    _count_days(session, persons, day, zone)
    _top_stories(session, persons, start, end, zone)
    _highlights(session, persons, start, end, zone)
    spikes = _spikes(session, people, start, end, zone)
    sources = _quiet_sources(session, day, zone)
    return DayStats(day, zone, start, end, people, persons, _mention_ids(session, start, end), spikes, sources)


def distinct_mentions(*, stats: DayStats, person_ids: list[int] | None) -> int:
    """Mentions of the day naming any of ``person_ids`` (everybody when None), each counted once."""
    chosen = stats.mention_ids.values() if person_ids is None else (stats.mention_ids.get(p, ()) for p in person_ids)
    return len(set().union(*chosen))


def _mention_ids(session: Session, start: datetime, end: datetime) -> dict[int, set[int]]:
    # One pass over the day's (person, mention) pairs; each recipient's count is then a set union,
    # far cheaper than one COUNT(DISTINCT …) query per recipient.
    by_person: dict[int, set[int]] = defaultdict(set)
    statement = _day_mentions(MentionPerson.person_id, MentionPerson.mention_id).where(AT >= start, AT < end)
    for person_id, mention_id in session.exec(statement):
        by_person[person_id].add(mention_id)
    return dict(by_person)


def _day_mentions(*columns):
    return (
        select(*columns)
        .select_from(MentionPerson)
        .join(Mention, Mention.id == MentionPerson.mention_id)
        .where(Mention.status != "dismissed")
    )


def _count_days(session: Session, persons: dict[int, PersonStats], day: date, zone: ZoneInfo) -> None:
    # Bucket boundaries are computed here, in the zone, so DST days bucket correctly on both dialects.
    starts = [day_bounds(day - timedelta(days=CHART_DAYS - 1 - i), zone)[0] for i in range(CHART_DAYS)]
    end = day_bounds(day, zone)[1]
    bucket = sa.case(*[(AT >= s, i) for i, s in reversed(list(enumerate(starts)))], else_=0)
    inner = _day_mentions(MentionPerson.person_id, bucket.label("bucket"), Mention.status)
    inner = inner.where(AT >= starts[0], AT < end).subquery()
    statement = select(inner.c.person_id, inner.c.bucket, inner.c.status, sa.func.count()).group_by(
        inner.c.person_id, inner.c.bucket, inner.c.status
    )
    for person_id, index, status, count in session.exec(statement):
        stats = persons.get(person_id)
        if stats is None:
            continue
        stats.daily[index] += count
        if index == CHART_DAYS - 1:
            stats.confirmed += count if status == "confirmed" else 0
            stats.unreviewed += count if status == "new" else 0


def _top_stories(session: Session, persons: dict[int, PersonStats], start, end, zone) -> None:
    story = sa.func.coalesce(Mention.cluster_id, -Mention.id)
    grouped = (
        _day_mentions(
            MentionPerson.person_id,
            story.label("story"),
            sa.func.count().label("copies"),
            sa.func.min(Mention.id).label("first_id"),
        )
        .where(AT >= start, AT < end)
        .group_by(MentionPerson.person_id, story)
        .subquery()
    )
    rank = sa.func.row_number().over(
        partition_by=grouped.c.person_id, order_by=(grouped.c.copies.desc(), grouped.c.first_id)
    )
    ranked = select(
        grouped.c.person_id, grouped.c.first_id, grouped.c.copies, grouped.c.story, rank.label("rank")
    ).subquery()
    statement = select(ranked.c.person_id, ranked.c.first_id, ranked.c.copies, ranked.c.story).where(
        ranked.c.rank <= TOP_STORIES
    )
    rows = [row for row in session.exec(statement) if row[0] in persons]
    posts = _posts(session, [row[1] for row in rows], zone)
    for person_id, first_id, copies, story in sorted(rows, key=lambda r: (-r[2], r[1])):
        persons[person_id].stories.append(replace(posts[first_id], copies=copies, story=story))


def _highlights(session: Session, persons: dict[int, PersonStats], start, end, zone) -> None:
    """Up to ``HIGHLIGHTS`` solidarity posts per person, one per story (a post's copies are one
    story, as in the top stories), confirmed ones first, then the earliest. A story already
    among the person's top stories is marked solidarity there and not listed twice: in a
    burst of support the top stories are the solidarity posts, and the highlights go to others."""
    # The cards' solidarity hint, as SQL: one rule for both (monitor.review.cues).
    words = solidarity_sql(Mention.title, Mention.text)
    story = sa.func.coalesce(Mention.cluster_id, -Mention.id)
    unconfirmed = sa.case((Mention.status == "confirmed", 0), else_=1)
    in_story = sa.func.row_number().over(
        partition_by=(MentionPerson.person_id, story), order_by=(unconfirmed, AT, Mention.id)
    )
    inner = _day_mentions(
        MentionPerson.person_id,
        Mention.id.label("mention_id"),
        story.label("story"),
        unconfirmed.label("unconfirmed"),
        AT.label("at"),
        in_story.label("in_story"),
    )
    inner = inner.where(AT >= start, AT < end, words).subquery()
    rank = sa.func.row_number().over(
        partition_by=inner.c.person_id, order_by=(inner.c.unconfirmed, inner.c.at, inner.c.mention_id)
    )
    firsts = select(inner.c.person_id, inner.c.mention_id, inner.c.story, rank.label("rank"))
    firsts = firsts.where(inner.c.in_story == 1).subquery()
    # Enough of each person's solidarity stories to fill the highlights past their top stories.
    statement = (
        select(firsts.c.person_id, firsts.c.mention_id, firsts.c.story)
        .where(firsts.c.rank <= HIGHLIGHTS + TOP_STORIES)
        .order_by(firsts.c.rank)
    )
    chosen: dict[int, list[int]] = defaultdict(list)
    for person_id, mention_id, story in session.exec(statement):
        if person_id not in persons:
            continue
        top = next((post for post in persons[person_id].stories if post.story == story), None)
        if top is not None:
            top.solidarity = True
        elif len(chosen[person_id]) < HIGHLIGHTS:
            chosen[person_id].append(mention_id)
    posts = _posts(session, [mention_id for picks in chosen.values() for mention_id in picks], zone)
    for person_id, picks in chosen.items():
        persons[person_id].highlights.extend(sorted((posts[m] for m in picks), key=lambda post: (post.at, post.id)))


def _posts(session: Session, ids: list[int], zone: ZoneInfo) -> dict[int, Post]:
    if not ids:
        return {}
    statement = (
        select(Mention.id, Mention.title, Mention.text, Mention.url, Source.name, AT)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.id.in_(sorted(set(ids))))
    )
    return {
        row[0]: Post(row[0], row[1], row[2], row[3], row[4] or "", row[5].astimezone(zone))
        for row in session.exec(statement)
    }


def _spikes(session: Session, people: dict[int, str], start, end, zone) -> list[tuple[int, SpikeLine]]:
    """The day's spikes, largest excess first, each per-kind spike folded under its person's spike."""
    statement = (
        select(Spike)
        .where(Spike.hour >= start, Spike.hour < end)
        .order_by((Spike.count - Spike.expected).desc(), Spike.hour, Spike.person_id, Spike.source_kind)
    )
    groups = [g for g in group_spikes(session.exec(statement)) if g.spike.person_id in people]
    return [(g.spike.person_id, _spike_line(g, people[g.spike.person_id], zone)) for g in groups]


def _spike_line(group: SpikeGroup, person: str, zone: ZoneInfo) -> SpikeLine:
    spike = group.spike
    kinds = [spike.source_kind] if spike.source_kind else group.kind_names  # a lone per-kind spike names its kind
    return SpikeLine(
        person, spike.hour.astimezone(zone), spike.count, spike.expected, kinds, spike.expected_by_reviewer
    )


def _quiet_sources(session: Session, day: date, zone: ZoneInfo) -> list[SourceLine]:
    """Enabled sources that are failing, or that brought mentions in the week before but none today."""
    week_start, start = day_bounds(day - timedelta(days=WEEK), zone)[0], day_bounds(day, zone)[0]
    end = day_bounds(day, zone)[1]
    today = sa.func.sum(sa.case((AT >= start, 1), else_=0))
    statement = select(Mention.source_id, today).where(AT >= week_start, AT < end).group_by(Mention.source_id)
    counts = dict(session.exec(statement).all())
    lines = []
    for source in session.exec(select(Source).where(Source.enabled == True).order_by(Source.id)):  # noqa: E712
        if source.consecutive_failures > 0:
            lines.append(SourceLine(source.name, source.url, source.last_error or "unknown error"))
        elif source.id in counts and not counts[source.id]:
            lines.append(SourceLine(source.name, source.url, None))
    return lines


def group_by_person(pairs: list[tuple[int, SpikeLine]]) -> dict[int, list[SpikeLine]]:
    """Spike lines keyed by person id."""
    grouped: dict[int, list[SpikeLine]] = defaultdict(list)
    for person_id, line in pairs:
        grouped[person_id].append(line)
    return grouped
