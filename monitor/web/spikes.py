"""Spike cards at the top of the review queue, and "mark as expected".

A card is one spike group (``monitor.core.storage.spike_groups``): the person's spike with the source
kinds that spiked inside it, a summary a monitor would say ("41 mentions between 09:00 and
10:00 CET — 3 stories, 38 copies, 29 authors; usually about 2 a day", in the reader's
zone), an SVG chart of the series around the window (time axis, a tooltip per bar, the
expected band: ``monitor.web.charts``), and the mentions inside the window. ``POST /spikes/{id}/expected``
marks the spike and its per-kind spikes as expected (or back, with ``expected=0``): who
and when are stored on the spike, the change is audited, and an expected spike sends no
more alerts (``monitor.notify.alerts`` skips it). ``POST /people/{id}/alerts`` (admins) sets a
person's alert sensitivity and mute date, audited; a person whose config entry sets them
is read-only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session, select

from monitor import i18n
from monitor.clock import as_utc  # coalesce() loses the column type: SQLite hands back naive UTC
from monitor.core.models import Mention, MentionPerson, Person, Source, Spike, User, utcnow
from monitor.core.settings import get_settings
from monitor.core.storage import access
from monitor.core.storage.spike_groups import SpikeGroup, bucket_of, group_spikes, window
from monitor.core.storage.spike_state import ALL_KINDS
from monitor.core.storage.spikes import span_text, spikes_counts
from monitor.review import spikes as decisions
from monitor.review.errors import Refused
from monitor.spikes.wording import WindowCounts, describe
from monitor.web.charts import bar_chart, expected_band
from monitor.web.deps import AdminDep, SessionDep, UserDep
from monitor.web.refusals import as_http
from monitor.web.snippet import safe_href

RECENT = timedelta(hours=48)
CARD_LIMIT = 10
MENTION_LIMIT = 20
OPEN_MENTIONS = 5  # a longer list starts folded, so that the queue below stays in view
BUCKETS_BEFORE, BUCKETS_AFTER = 24, 6  # the chart's context around the window

router = APIRouter(include_in_schema=False)


@dataclass
class SpikeCard:
    """What spike_cards.html shows for one spike group."""

    group: SpikeGroup
    person: str
    counts: list[int]  # the series per bucket around the window, from ``chart_start``
    chart_start: datetime
    mentions: list[dict]
    mentions_total: int  # all the series' mentions in the window; ``mentions`` holds the first few
    expected_by: str | None
    window_counts: WindowCounts | None = None

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

    @property
    def bucket(self) -> timedelta:
        return bucket_of(self.spike)

    @property
    def bucket_name(self) -> str:
        """ "hour", "5 minutes": what one bar of the chart covers."""
        return span_text(self.bucket)

    def summary(self, zone=timezone.utc) -> str:
        """The spike as a monitor says it, with its window's clock times in ``zone``."""
        return spike_summary(self.spike, self.window_counts or WindowCounts(self.mentions_total, 0, 0), zone)

    @property
    def usual_per_day(self) -> float:
        return usual_per_day(self.spike)

    def chart(self, zone=timezone.utc) -> Markup:
        """The series around the window, the window red, over the expected band, times in ``zone``."""
        start, end = window(self.spike)
        first = int((start - self.chart_start) // self.bucket)
        inside = range(first, int((end - self.chart_start) // self.bucket))
        band = [expected_band(self.usual_per_day * (self.bucket / timedelta(days=1)))] * len(self.counts)
        return bar_chart(
            self.counts,
            start=self.chart_start,
            bucket=self.bucket,
            zone=zone,
            inside=inside,
            band=band,
            label=f"mentions per {span_text(self.bucket)}",
            css_class="spike-chart",
        )


def spike_summary(spike: Spike, counts: WindowCounts, zone=timezone.utc) -> str:
    """A spike as a monitor says it, in the page's language, its window's clock times in ``zone``
    ("41 mentions between 09:00 and 10:00 MSK — 3 stories, 38 copies, 29 authors; usually about
    2 a day"). The explanation stored with the spike is English and in UTC: pages say it again."""
    start, end = window(spike)
    return describe(
        counts,
        start,
        end,
        usual_per_day=usual_per_day(spike),
        zone=zone,
        gettext=i18n.gettext,
        ngettext=i18n.ngettext,
        day=lambda moment: i18n.format_date(moment, "d MMM"),
    )


def usual_per_day(spike: Spike) -> float:
    """The count the detector expected in a day (older spikes: from their expected count)."""
    if spike.usual_per_day is not None:
        return spike.usual_per_day
    return spike.expected * (timedelta(days=1) / bucket_of(spike))


def spike_cards(
    session: Session, *, now: datetime | None = None, limit: int = CARD_LIMIT, scope: access.Scope = access.EVERYTHING
) -> list[SpikeCard]:
    """Cards for the spike groups of people ``scope`` shows that started within ``RECENT`` of
    ``now``, latest first."""
    now = now or utcnow()
    spikes = session.exec(
        select(Spike)
        .where(Spike.hour >= now - RECENT, scope.person_visible(Spike.person_id))
        .order_by(Spike.hour.desc(), Spike.id.desc())
        .limit(limit * 4)
    ).all()
    groups = group_spikes(spikes)[:limit]
    counted = spikes_counts(session, [group.spike for group in groups])  # one query, not one a card
    return [_card(session, group, counts, now) for group, counts in zip(groups, counted)]


def _card(session: Session, group: SpikeGroup, window_counts: WindowCounts, now: datetime) -> SpikeCard:
    spike = group.spike
    bucket = bucket_of(spike)
    start, end = window(spike)
    chart_start, chart_end = (
        start - BUCKETS_BEFORE * bucket,
        min(end + BUCKETS_AFTER * bucket, _ceil(now, start, bucket)),
    )
    times = _mention_times(session, spike, chart_start, chart_end)
    counts = [0] * max(1, round((chart_end - chart_start) / bucket))
    for moment in times:
        slot = int((moment - chart_start) // bucket)
        if 0 <= slot < len(counts):
            counts[slot] += 1
    marker = session.get(User, spike.expected_by) if spike.expected_by else None
    return SpikeCard(
        group,
        session.get(Person, spike.person_id).name,
        counts,
        chart_start,
        _mentions_inside(session, spike, start, end),
        sum(start <= moment < end for moment in times),
        marker.email if marker else None,
        window_counts,
    )


def _ceil(now: datetime, origin: datetime, bucket: timedelta) -> datetime:
    """The end of the bucket holding ``now``, on the grid that starts at ``origin``."""
    return origin + ((now - origin) // bucket + 1) * bucket


def _series_filter(spike: Spike):
    """Conditions that keep the mentions of the spike's series (its person, and its kind)."""
    conditions = [MentionPerson.person_id == spike.person_id]
    if spike.source_kind != ALL_KINDS:
        conditions.append(Source.kind == spike.source_kind)
    return conditions


WHEN = Mention.at


def _in_series(statement, spike: Spike, start: datetime, end: datetime):
    """``statement`` kept to the mentions of the spike's series between ``start`` and ``end``."""
    return (
        statement.join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(*_series_filter(spike), WHEN >= start, WHEN < end)
    )


def _mention_times(session: Session, spike: Spike, start: datetime, end: datetime) -> list[datetime]:
    statement = _in_series(sa.select(WHEN).select_from(Mention), spike, start, end)
    return [as_utc(moment) for moment in session.execute(statement).scalars()]


def _mentions_inside(session: Session, spike: Spike, start: datetime, end: datetime) -> list[dict]:
    """The first ``MENTION_LIMIT`` mentions of the series inside the window, oldest first."""
    statement = _in_series(select(Mention, Source.name), spike, start, end)
    statement = statement.order_by(WHEN, Mention.id).limit(MENTION_LIMIT)
    return [
        {
            "title": " ".join((m.title or m.text or m.url or "untitled").split())[:160],
            "href": safe_href(m.url),
            "source": source,
            "when": m.at,
        }
        for m, source in session.exec(statement)
    ]


@router.post("/spikes/{spike_id}/expected")
def mark_expected(
    request: Request,
    session: SessionDep,
    user: UserDep,
    spike_id: int,
    expected: Annotated[str, Form()] = "1",
    back: Annotated[str, Form()] = "/review",
) -> Response:
    """Mark a spike (and the per-kind spikes folded under it) as expected, or not; audited."""
    value = expected in ("1", "true", "on")
    try:
        decisions.mark_expected(session, spike_id=spike_id, expected=value, actor=user, now=utcnow())
    except Refused as exc:
        raise as_http(exc) from exc
    session.commit()
    if request.headers.get("x-requested-with") == "fetch":
        return JSONResponse({"id": spike_id, "expected": value})
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/review", status_code=303)


def spike_bucket() -> timedelta:
    """The bucket the live detector counts in (``MONITOR_SPIKE_BUCKET_MINUTES``)."""
    return timedelta(minutes=get_settings().spike_bucket_minutes)


@router.post("/people/{person_id}/alerts")
def set_alerts(
    session: SessionDep,
    user: AdminDep,
    person_id: int,
    alert: Annotated[str, Form()] = "normal",
    mute_until: Annotated[str, Form()] = "",
) -> Response:
    """Set a person's alert sensitivity and mute date (empty: not muted); audited."""
    try:
        decisions.set_alerts(session, person_id=person_id, alert=alert, mute_until=mute_until, actor=user)
    except Refused as exc:
        raise as_http(exc) from exc
    session.commit()
    return RedirectResponse(f"/people/{person_id}#alerts", status_code=303)
