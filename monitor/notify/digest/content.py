"""One recipient's digest: a slice of the day's ``DayStats`` plus the words around it.

``DigestBuilder`` computes ``DayStats`` once per (day, timezone) and hands each recipient
the people they follow; building 100 digests costs the same handful of queries as one,
plus a set union per recipient for their distinct mention count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from monitor import i18n
from monitor.core.storage import access
from monitor.core.storage.evidence_views import ChangeLine, changed_between
from monitor.notify.digest.stats import (
    CHART_DAYS,
    WEEK,
    DayStats,
    Post,
    SourceLine,
    SpikeLine,
    day_bounds,
    day_stats,
    distinct_mentions,
    group_by_person,
)

QUIET_NAMES_SHOWN = 30  # people without mentions listed by name; the rest are counted
# Gmail clips messages over ~100 KB: the most important people get the full section (chart,
# stories, highlights), the next ones one table row each, the rest a count and the review link.
DETAILED_PEOPLE = 12
ROW_PEOPLE = 80


@dataclass
class PersonSection:
    """What the digest says about one person."""

    name: str
    count: int
    previous: int
    week_average: float
    confirmed: int
    unreviewed: int
    chart: list[tuple[date, int]]
    stories: list[Post]
    highlights: list[Post]
    spikes: list[SpikeLine]

    @property
    def chart_max(self) -> int:
        return max([n for _, n in self.chart] + [1])


@dataclass
class Digest:
    """Everything one recipient's email for one day shows."""

    recipient: str
    day: date
    zone: str
    people: list[str] | None  # None: everyone tracked
    mention_count: int = 0
    sections: list[PersonSection] = field(default_factory=list)  # the first DETAILED_PEOPLE
    rows: list[PersonSection] = field(default_factory=list)  # the next ROW_PEOPLE, one line each
    rows_more: int = 0  # people mentioned beyond those
    quiet: list[str] = field(default_factory=list)  # followed people with no mentions that day
    spikes: list[SpikeLine] = field(default_factory=list)
    sources: list[SourceLine] = field(default_factory=list)
    changes: list[ChangeLine] = field(default_factory=list)  # preserved posts deleted or edited that day (issue 18)
    review_url: str = ""
    mentions_url: str = ""  # + "/{id}": the permalink page of a mention (monitor.web.permalinks)
    unsubscribe_url: str = ""

    @property
    def summary(self) -> str:
        """ "3 spikes, 148 new mentions of 12 people", or "no new mentions"."""
        # In the language of the render (monitor.i18n.use): Russian has three plural forms.
        spikes, people = len(self.spikes), self.people_mentioned
        parts = [i18n.ngettext("%(num)d spike", "%(num)d spikes", spikes) % {"num": spikes}] if spikes else []
        if self.mention_count:
            mentions = i18n.ngettext("%(num)d new mention", "%(num)d new mentions", self.mention_count)
            of_people = i18n.ngettext("of %(num)d person", "of %(num)d people", people)
            parts.append(f"{mentions % {'num': self.mention_count}} {of_people % {'num': people}}")
        else:
            parts.append(i18n.gettext("no new mentions"))
        return ", ".join(parts)

    @property
    def people_mentioned(self) -> int:
        return len(self.sections) + len(self.rows) + self.rows_more

    @property
    def quiet_more(self) -> int:
        return max(0, len(self.quiet) - QUIET_NAMES_SHOWN)


class DigestBuilder:
    """Builds digests for many recipients, sharing each (day, timezone)'s aggregates."""

    def __init__(self, session: Session):
        self.session = session
        self._stats: dict[tuple[date, str], DayStats] = {}
        self._counts: dict[tuple[date, str, tuple[int, ...]], int] = {}

    def stats(self, day: date, zone: ZoneInfo) -> DayStats:
        """The (cached) aggregates of the local ``day`` in ``zone``."""
        key = (day, zone.key)
        if key not in self._stats:
            self._stats[key] = day_stats(self.session, day=day, zone=zone)
        return self._stats[key]

    def build(self, *, email: str, people: list[str] | None, day: date, zone: ZoneInfo) -> Digest:
        """The digest of the local ``day`` for someone following ``people`` (None: everybody)."""
        stats = self.stats(day, zone)
        wanted = set(people) if people is not None else None
        ids = sorted(pid for pid, name in stats.people.items() if wanted is None or name in wanted)
        shown = access.visible_person_ids(self.session, access.scope_for_email(self.session, email))
        ids = ids if shown is None else [pid for pid in ids if pid in shown]  # issue 20: per-case access
        spikes = group_by_person([(pid, s) for pid, s in stats.spikes if pid in ids])
        sections = [_section(stats, pid, spikes.get(pid, [])) for pid in ids]
        content = Digest(recipient=email, day=day, zone=zone.key, people=people)
        ranked = sorted((s for s in sections if s.count), key=_importance)
        content.sections = ranked[:DETAILED_PEOPLE]
        content.rows = ranked[DETAILED_PEOPLE : DETAILED_PEOPLE + ROW_PEOPLE]
        content.rows_more = max(0, len(ranked) - DETAILED_PEOPLE - ROW_PEOPLE)
        content.quiet = sorted(s.name for s in sections if not s.count)
        content.spikes = [s for pid, s in stats.spikes if pid in ids]
        content.sources = stats.sources
        content.mention_count = self._count(stats, tuple(ids))
        start, end = day_bounds(day, zone)
        content.changes = changed_between(self.session, start=start, end=end, person_ids=ids)
        return content

    def _count(self, stats: DayStats, ids: tuple[int, ...]) -> int:
        key = (stats.day, stats.zone.key, ids)
        if key not in self._counts:
            self._counts[key] = distinct_mentions(stats=stats, person_ids=list(ids))
        return self._counts[key]


def _section(stats: DayStats, person_id: int, spikes: list[SpikeLine]) -> PersonSection:
    numbers = stats.persons[person_id]
    days = [stats.day.fromordinal(stats.day.toordinal() - CHART_DAYS + 1 + i) for i in range(CHART_DAYS)]
    return PersonSection(
        name=stats.people[person_id],
        count=numbers.daily[-1],
        previous=numbers.daily[-2],
        week_average=sum(numbers.daily[-1 - WEEK : -1]) / WEEK,
        confirmed=numbers.confirmed,
        unreviewed=numbers.unreviewed,
        chart=list(zip(days, numbers.daily)),
        stories=numbers.stories,
        highlights=numbers.highlights,
        spikes=spikes,
    )


def _importance(section: PersonSection) -> tuple:
    # What matters first: people with a spike, then the most mentioned, then by name.
    return (not section.spikes, -section.count, section.name)
