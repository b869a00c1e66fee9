"""Spike cards at the top of the review queue, and "mark as expected".

A card is one spike group (``monitor.spikes.groups``): the person's spike with the source
kinds that spiked inside it, the explanation, a server-rendered SVG chart of the series
around the window, and the mentions inside the window. ``POST /spikes/{id}/expected``
marks the spike and its per-kind spikes as expected (or back, with ``expected=0``): who
and when are stored on the spike, the change is audited, and an expected spike sends no
more alerts (``monitor.alerts`` skips it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlmodel import Session, select

from monitor.models import Mention, MentionPerson, Person, Source, Spike, User, utcnow
from monitor.spikes import ALL_KINDS
from monitor.spikes.groups import SpikeGroup, group_spikes, window
from monitor.spikes.live import span_text
from monitor.web.deps import SessionDep, UserDep
from monitor.web.snippet import safe_href
from monitor.web.triage import audit

RECENT = timedelta(hours=48)
CARD_LIMIT = 10
MENTION_LIMIT = 20
OPEN_MENTIONS = 5  # a longer list starts folded, so that the queue below stays in view
BUCKETS_BEFORE, BUCKETS_AFTER = 24, 6  # the chart's context around the window
CHART_W, CHART_H, PAD = 480, 110, 18

router = APIRouter(include_in_schema=False)


@dataclass
class SpikeCard:
    """What spike_cards.html shows for one spike group."""

    group: SpikeGroup
    person: str
    chart: Markup
    mentions: list[dict]
    mentions_total: int  # all the series' mentions in the window; ``mentions`` holds the first few
    expected_by: str | None

    @property
    def spike(self) -> Spike:
        return self.group.spike

    @property
    def end(self) -> datetime:
        """The end of the spike's last bucket."""
        return window(self.spike)[1]

    @property
    def folded(self) -> bool:
        return self.mentions_total > OPEN_MENTIONS


def spike_cards(session: Session, *, now: datetime | None = None, limit: int = CARD_LIMIT) -> list[SpikeCard]:
    """Cards for the spike groups that started within ``RECENT`` of ``now``, latest first."""
    now = now or utcnow()
    spikes = session.exec(
        select(Spike).where(Spike.hour >= now - RECENT).order_by(Spike.hour.desc(), Spike.id.desc()).limit(limit * 4)
    ).all()
    return [_card(session, group, now) for group in group_spikes(spikes)[:limit]]


def _card(session: Session, group: SpikeGroup, now: datetime) -> SpikeCard:
    spike = group.spike
    bucket = timedelta(seconds=spike.bucket_seconds)
    start, end = window(spike)
    chart_start, chart_end = start - BUCKETS_BEFORE * bucket, min(end + BUCKETS_AFTER * bucket, _ceil(now, start, bucket))
    times = _mention_times(session, spike, chart_start, chart_end)
    counts = [0] * max(1, round((chart_end - chart_start) / bucket))
    for moment in times:
        slot = int((moment - chart_start) // bucket)
        if 0 <= slot < len(counts):
            counts[slot] += 1
    first_in, last_in = int((start - chart_start) // bucket), int((end - chart_start) // bucket)
    marker = session.get(User, spike.expected_by) if spike.expected_by else None
    return SpikeCard(group, session.get(Person, spike.person_id).name,
                     volume_chart(counts, range(first_in, last_in), label=f"mentions per {span_text(bucket)}"),
                     _mentions_inside(session, spike, start, end), sum(start <= moment < end for moment in times),
                     marker.email if marker else None)


def _ceil(now: datetime, origin: datetime, bucket: timedelta) -> datetime:
    """The end of the bucket holding ``now``, on the grid that starts at ``origin``."""
    return origin + ((now - origin) // bucket + 1) * bucket


def _series_filter(spike: Spike):
    """Conditions that keep the mentions of the spike's series (its person, and its kind)."""
    conditions = [MentionPerson.person_id == spike.person_id]
    if spike.source_kind != ALL_KINDS:
        conditions.append(Source.kind == spike.source_kind)
    return conditions


WHEN = sa.func.coalesce(Mention.published_at, Mention.fetched_at)


def _in_series(statement, spike: Spike, start: datetime, end: datetime):
    """``statement`` kept to the mentions of the spike's series between ``start`` and ``end``."""
    return (
        statement.join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(*_series_filter(spike), WHEN >= start, WHEN < end)
    )


def _mention_times(session: Session, spike: Spike, start: datetime, end: datetime) -> list[datetime]:
    statement = _in_series(sa.select(WHEN).select_from(Mention), spike, start, end)
    return [_aware(moment) for moment in session.execute(statement).scalars()]


def _aware(moment: datetime) -> datetime:
    # coalesce() loses the column type, so SQLite hands back a naive UTC timestamp.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _mentions_inside(session: Session, spike: Spike, start: datetime, end: datetime) -> list[dict]:
    """The first ``MENTION_LIMIT`` mentions of the series inside the window, oldest first."""
    statement = _in_series(select(Mention, Source.name), spike, start, end)
    statement = statement.order_by(WHEN, Mention.id).limit(MENTION_LIMIT)
    return [
        {"title": " ".join((m.title or m.text or m.url or "untitled").split())[:160], "href": safe_href(m.url),
         "source": source, "when": _aware(m.published_at or m.fetched_at)}
        for m, source in session.exec(statement)
    ]


def volume_chart(counts: list[int], inside: range, *, label: str) -> Markup:
    """Bars of ``counts`` as inline SVG; the buckets in ``inside`` (the spike) are red."""
    peak = max(counts + [1])
    step = (CHART_W - 2 * PAD) / len(counts)
    parts = [f'<svg class="spike-chart" role="img" aria-label="{escape(label)}" width="{CHART_W}" height="{CHART_H}" '
             f'viewBox="0 0 {CHART_W} {CHART_H}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{PAD}" y="12" font-size="11" fill="#5f6368">max {peak}</text>']
    for i, count in enumerate(counts):
        height = (CHART_H - 2 * PAD) * count / peak
        hot = i in inside
        parts.append(f'<rect class="{"bar in-spike" if hot else "bar"}" x="{PAD + i * step:.1f}" '
                     f'y="{CHART_H - PAD - height:.1f}" width="{step * 0.8:.1f}" height="{height:.1f}" '
                     f'fill="{"#b00020" if hot else "#1a56a6"}"><title>{count}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))


@router.post("/spikes/{spike_id}/expected")
def mark_expected(
    request: Request, session: SessionDep, user: UserDep, spike_id: int,
    expected: Annotated[str, Form()] = "1", back: Annotated[str, Form()] = "/review",
) -> Response:
    """Mark a spike (and the per-kind spikes folded under it) as expected, or not; audited."""
    spike = session.get(Spike, spike_id)
    if spike is None:
        raise HTTPException(status_code=404, detail=f"spike {spike_id}: no such spike")
    value = expected in ("1", "true", "on")
    for member in _members(session, spike):
        _mark(session, member, value, user)
    session.commit()
    if request.headers.get("x-requested-with") == "fetch":
        return JSONResponse({"id": spike_id, "expected": value})
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/review", status_code=303)


def _members(session: Session, spike: Spike) -> list[Spike]:
    """The spike and, when it is a person's whole-volume spike, the per-kind spikes folded under it."""
    if spike.source_kind != ALL_KINDS:
        return [spike]
    start, end = window(spike)
    candidates = session.exec(
        select(Spike).where(Spike.person_id == spike.person_id, Spike.source_kind != ALL_KINDS,
                            Spike.hour < end, Spike.hour >= start - timedelta(days=7))
    ).all()
    group = next(g for g in group_spikes([spike, *candidates]) if g.spike.id == spike.id)
    return [spike, *group.kinds]


def _mark(session: Session, spike: Spike, value: bool, user: User) -> None:
    if spike.expected_by_reviewer == value:
        return
    before = {"expected_by_reviewer": spike.expected_by_reviewer}
    spike.expected_by_reviewer = value
    spike.expected_by, spike.expected_at = (user.id, utcnow()) if value else (None, None)
    session.add(spike)
    audit(session, user=user, action="spike_expected" if value else "spike_unexpected", target=f"spike:{spike.id}",
          before=before, after={"expected_by_reviewer": value})
