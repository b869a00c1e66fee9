"""People pages: the table of who is talked about now (``review.overview``), and one person's
volume chart (server-rendered SVG), spikes, aliases and recent cards. No script: the chart is
plain SVG built from escaped numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlmodel import Session, select

from monitor.core.models import Alias, Mention, MentionPerson, Person, Spike, utcnow
from monitor.core.storage import access
from monitor.core.storage.spike_groups import SpikeGroup, group_spikes
from monitor.core.storage.spike_state import Usual, usual_days
from monitor.core.storage.spikes import spikes_counts
from monitor.review import cards, overview
from monitor.spikes.wording import WindowCounts
from monitor.web.charts import Frame, bar_chart, expected_band
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.limits import MAX_SEARCH_CHARS
from monitor.web.menus import menus
from monitor.web.review import card_item
from monitor.web.spikes import spike_bucket, spike_summary

CHART_DAYS = 30
CHART_W, CHART_H, PAD = 720, 180, 24
RECENT_CARDS = 20

router = APIRouter(include_in_schema=False)


@router.get("/people")
def people_list(request: Request, session: SessionDep, user: UserDep, q: str = "", sort: str = "activity") -> Response:
    """Every person the user may see, busiest first (or by name), with the last week's mentions
    and spikes and the review backlog; ``q`` filters names and aliases."""
    if sort not in overview.SORTS:
        raise HTTPException(status_code=400, detail=f"sort: expected {' or '.join(overview.SORTS)}")
    if len(q) > MAX_SEARCH_CHARS:
        raise HTTPException(status_code=422, detail=f"q: at most {MAX_SEARCH_CHARS} characters")
    now = utcnow()
    rows = overview.people_overview(session, access.scope_for(session, user), now=now, query=q, sort=sort)
    return render(
        request,
        "people.html",
        user=user,
        people=rows,
        q=q,
        sort=sort,
        today=now.date(),
        backlog_since=overview.backlog_start(now),
    )


@router.get("/people/{person_id}")
def person_page(person_id: int, request: Request, session: SessionDep, user: UserDep) -> Response:
    """A person's daily volume over ``CHART_DAYS`` days with spikes marked, aliases, recent cards."""
    scope = access.scope_for(session, user)
    person = session.get(Person, person_id)
    if person is None or not access.can_see_person(session, scope, person_id):
        raise HTTPException(status_code=404, detail=f"no person {person_id}")
    today = utcnow().date()
    first = today - timedelta(days=CHART_DAYS - 1)
    volume = daily_volume(session, person_id=person_id, first=first, last=today)
    spikes = session.exec(
        select(Spike).where(Spike.person_id == person_id, Spike.hour >= _start(first)).order_by(Spike.hour.desc())
    ).all()
    groups = group_spikes(spikes)  # a burst seen in the whole volume and per kind of source is one line
    counted = spikes_counts(session, [group.spike for group in groups])
    aliases = session.exec(select(Alias).where(Alias.person_id == person_id).order_by(Alias.kind, Alias.text)).all()
    page = cards.list_cards(
        session, filters=cards.Filters(state=None, person=person_id, scope=scope), limit=RECENT_CARDS
    )
    matcher = menus(session).matcher
    return render(
        request,
        "person.html",
        user=user,
        person=person,
        aliases=aliases,
        spikes=[SpikeLine(group, counts) for group, counts in zip(groups, counted)],
        chart=volume_svg(
            volume,
            spike_days={s.hour.date() for s in spikes},
            usual=usual_days(session, person_id=person_id, bucket=spike_bucket()),
        ),
        items=[card_item(card, matcher) for card in page.cards],
    )


@dataclass(frozen=True)
class SpikeLine:
    """One of the person's spikes (with the per-kind spikes folded under it, as on the spike cards)
    and its window's counts, said in the page's language and zone."""

    group: SpikeGroup
    counts: WindowCounts

    @property
    def spike(self) -> Spike:
        return self.group.spike

    def summary(self, zone: tzinfo) -> str:
        return spike_summary(self.spike, self.counts, zone)


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def daily_volume(session: Session, *, person_id: int, first: date, last: date) -> list[tuple[date, int]]:
    """Mentions of the person per UTC day (by ``Mention.at``: published, else first seen) from
    ``first`` to ``last``."""
    stamps = session.exec(
        select(Mention.at)
        .join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .where(
            MentionPerson.person_id == person_id,
            Mention.at >= _start(first),
            Mention.at < _start(last + timedelta(days=1)),
        )
    ).all()
    counts: dict[date, int] = {}
    for stamp in stamps:
        counts[stamp.date()] = counts.get(stamp.date(), 0) + 1
    days = (last - first).days + 1
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)]


def volume_svg(volume: list[tuple[date, int]], *, spike_days: set[date], usual: Usual | None = None) -> Markup:
    """Bars per day with a time axis and a tooltip each; spike days red with a ▲; the band the
    detector expects on each weekday (``usual``, ``spike_state.usual_days``), over the days
    since it began to learn: before them it expected nothing, and a band there would claim it
    had (a person added last week, mentioned daily since, would show a month of missed usual days)."""
    first = datetime(volume[0][0].year, volume[0][0].month, volume[0][0].day, tzinfo=timezone.utc)
    band = None
    if usual is not None:
        band = [
            expected_band(usual.per_weekday[day.weekday()], usual.dispersion) if day >= usual.since else None
            for day, _ in volume
        ]
    return bar_chart(
        [n for _, n in volume],
        start=first,
        bucket=timedelta(days=1),
        band=band,
        inside={i for i, (day, _) in enumerate(volume) if day in spike_days},
        label="mentions per day",
        frame=Frame(width=CHART_W, height=CHART_H),
        css_class="chart",
        hot_class="spike",
        marker=True,
    )
