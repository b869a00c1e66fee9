"""People pages: the list, and one person's volume chart (server-rendered SVG), spikes,
aliases and recent cards. No script: the chart is plain SVG built from escaped numbers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlmodel import Session, select

from monitor.models import Alias, Mention, MentionPerson, Person, Spike, utcnow
from monitor.web import cards
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.menus import menus
from monitor.web.review import card_item

CHART_DAYS = 30
CHART_W, CHART_H, PAD = 720, 180, 24
RECENT_CARDS = 20

router = APIRouter(include_in_schema=False)


@router.get("/people")
def people_list(request: Request, session: SessionDep, user: UserDep) -> Response:
    """Every tracked person, linking to their page."""
    return render(request, "people.html", user=user, people=cards.people(session))


@router.get("/people/{person_id}")
def person_page(person_id: int, request: Request, session: SessionDep, user: UserDep) -> Response:
    """A person's daily volume over ``CHART_DAYS`` days with spikes marked, aliases, recent cards."""
    person = session.get(Person, person_id)
    if person is None:
        raise HTTPException(status_code=404, detail=f"no person {person_id}")
    today = utcnow().date()
    first = today - timedelta(days=CHART_DAYS - 1)
    volume = daily_volume(session, person_id=person_id, first=first, last=today)
    spikes = session.exec(
        select(Spike).where(Spike.person_id == person_id, Spike.hour >= _start(first)).order_by(Spike.hour.desc())
    ).all()
    aliases = session.exec(select(Alias).where(Alias.person_id == person_id).order_by(Alias.kind, Alias.text)).all()
    page = cards.list_cards(session, filters=cards.Filters(state=None, person=person_id), limit=RECENT_CARDS)
    matcher = menus(session).matcher
    return render(
        request, "person.html", user=user, person=person, aliases=aliases, spikes=spikes,
        chart=volume_svg(volume, spike_days={s.hour.date() for s in spikes}),
        items=[card_item(card, matcher) for card in page.cards],
    )


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def daily_volume(session: Session, *, person_id: int, first: date, last: date) -> list[tuple[date, int]]:
    """Mentions of the person per UTC day (by first-seen time) from ``first`` to ``last``."""
    stamps = session.exec(
        select(Mention.fetched_at).join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .where(MentionPerson.person_id == person_id, Mention.fetched_at >= _start(first),
               Mention.fetched_at < _start(last + timedelta(days=1)))
    ).all()
    counts: dict[date, int] = {}
    for stamp in stamps:
        counts[stamp.date()] = counts.get(stamp.date(), 0) + 1
    days = (last - first).days + 1
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)]


def volume_svg(volume: list[tuple[date, int]], *, spike_days: set[date]) -> Markup:
    """A bar chart as inline SVG; days with a spike get a red bar and a ▲ marker."""
    peak = max([n for _, n in volume] + [1])
    step = (CHART_W - 2 * PAD) / max(1, len(volume))
    parts = [f'<svg class="chart" role="img" aria-label="mentions per day" width="{CHART_W}" height="{CHART_H}" '
             f'viewBox="0 0 {CHART_W} {CHART_H}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{PAD}" y="14" font-size="11" fill="#5f6368">max {peak}/day</text>']
    for i, (day, count) in enumerate(volume):
        height = (CHART_H - 2 * PAD) * count / peak
        x, y = PAD + i * step, CHART_H - PAD - height
        spike = day in spike_days
        parts.append(f'<rect class="{"bar spike" if spike else "bar"}" x="{x:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" '
                     f'height="{height:.1f}" fill="{"#b00020" if spike else "#1a56a6"}"><title>{escape(day.isoformat())}: {count}</title></rect>')
        if spike:
            parts.append(f'<text class="spike-marker" x="{x:.1f}" y="{max(y - 3, 12):.1f}" font-size="11" fill="#b00020">▲</text>')
    parts.append(f'<text x="{PAD}" y="{CHART_H - 6}" font-size="11" fill="#5f6368">{escape(volume[0][0].isoformat())}</text>')
    parts.append(f'<text x="{CHART_W - PAD - 70}" y="{CHART_H - 6}" font-size="11" fill="#5f6368">{escape(volume[-1][0].isoformat())}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
