"""The JSON API under ``/api``. It needs a session like the pages; writes need ``X-CSRF-Token``.

Text fields are returned as stored: they come from feeds, so clients must escape them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from monitor.core.storage import access
from monitor.review import cards, queue, triage
from monitor.web.csrf import CSRF_HEADER, csrf_token
from monitor.web.deps import SessionDep, UserDep
from monitor.web.limits import DB_ID_MAX, CursorQuery, DbInt, PlausibleDatetime
from monitor.web.review import FiltersDep

MAX_LIMIT = 500

router = APIRouter(prefix="/api", tags=["api"])


class MentionOut(BaseModel):
    id: int
    source: str
    url: str | None
    title: str
    text: str
    published_at: datetime | None
    fetched_at: datetime | None
    people: list[str]
    status: str
    cluster_id: int | None
    language: str | None = None


class DecisionIn(BaseModel):
    decision: Literal["confirmed", "dismissed"]


class SpikeOut(BaseModel):
    id: int
    person: str
    hour: datetime
    count: int
    expected: float
    score: float
    detected_at: datetime | None
    source_kind: str = ""  # "" for the person's whole volume, else the kind of sources counted
    kind: str = "burst"  # or "after silence"
    end_at: datetime | None = None
    expected_by_reviewer: bool = False


class MeOut(BaseModel):
    email: str
    role: str
    csrf_token: str
    csrf_header: str


def _mention_out(row: queue.MentionRow) -> MentionOut:
    m = row.mention
    return MentionOut(
        id=m.id,
        source=row.source,
        url=m.url,
        title=m.title,
        text=m.text,
        published_at=m.published_at,
        fetched_at=m.fetched_at,
        people=row.people,
        status=m.status,
        cluster_id=m.cluster_id,
        language=m.language,
    )


@router.get("/me")
def me(request: Request, user: UserDep) -> MeOut:
    """Who is logged in, and the CSRF token to send as ``X-CSRF-Token`` on writes."""
    return MeOut(email=user.email, role=user.role, csrf_token=csrf_token(request), csrf_header=CSRF_HEADER)


@router.get("/mentions")
def mentions(
    session: SessionDep,
    user: UserDep,
    status: Literal["new", "confirmed", "dismissed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=DB_ID_MAX)] = 0,
) -> list[MentionOut]:
    """Mentions, newest fetched first; ``status`` filters (all statuses when absent)."""
    scope = access.scope_for(session, user)
    return [
        _mention_out(row)
        for row in queue.list_mentions(session, status=status, limit=limit, offset=offset, scope=scope)
    ]


@router.post("/mentions/{mention_id}/decision")
def mention_decision(mention_id: int, body: DecisionIn, session: SessionDep, user: UserDep) -> MentionOut:
    """Confirm or dismiss a mention (and its cluster); audited. Needs ``X-CSRF-Token``."""
    if not triage.act(session, mention_ids=[mention_id], action=body.decision, value=None, user=user):
        raise HTTPException(status_code=404, detail=f"mention {mention_id} not found")
    session.commit()
    return _mention_out(queue.get_mention(session, mention_id=mention_id, scope=access.scope_for(session, user)))


@router.get("/spikes")
def spikes(
    session: SessionDep,
    user: UserDep,
    since: PlausibleDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> list[SpikeOut]:
    """Volume spikes, latest hour first; ``since`` keeps hours at or after it."""
    return [
        SpikeOut(
            id=r.spike.id,
            person=r.person,
            hour=r.spike.hour,
            count=r.spike.count,
            expected=r.spike.expected,
            score=r.spike.score,
            detected_at=r.spike.detected_at,
            source_kind=r.spike.source_kind,
            kind=r.spike.kind,
            end_at=r.spike.end_at,
            expected_by_reviewer=r.spike.expected_by_reviewer,
        )
        for r in queue.list_spikes(session, since=since, limit=limit, scope=access.scope_for(session, user))
    ]


class CardOut(BaseModel):
    mention: MentionOut
    kind: str
    copies: int
    copy_sources: int
    review_state: str
    label: str | None
    note: str | None
    assigned_to: int | None


class CardPage(BaseModel):
    """One page of cards. ``total`` is counted up to one page only (first page; None later):
    ``total_is_capped`` then says more pages follow, so a count never scans the whole queue."""

    cards: list[CardOut]
    next_cursor: str | None
    total: int | None
    total_is_capped: bool


class ActIn(BaseModel):
    ids: list[DbInt]
    action: Literal["label", "escalate", "assign", "unassign", "note"]
    value: str | None = None


@router.get("/cards")
def card_list(
    session: SessionDep,
    user: UserDep,
    filters: FiltersDep,
    after: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> CardPage:
    """The review queue as JSON: one card per story cluster, same filters as ``/review``;
    pass ``next_cursor`` back as ``after`` for the next page."""
    page = cards.list_cards(session, filters=filters, limit=limit, after=after)
    return CardPage(
        cards=[
            CardOut(
                mention=_mention_out(c.row),
                kind=c.kind,
                copies=c.copies,
                copy_sources=c.copy_sources,
                review_state=c.row.mention.review_state,
                label=c.row.mention.label,
                note=c.row.mention.note,
                assigned_to=c.row.mention.assigned_to,
            )
            for c in page.cards
        ],
        next_cursor=page.next_cursor,
        total=page.total,
        total_is_capped=page.capped,
    )


@router.post("/cards/act")
def card_act(body: ActIn, session: SessionDep, user: UserDep) -> list[MentionOut]:
    """Apply one triage action to the cards ``ids`` (their whole clusters); audited. Needs ``X-CSRF-Token``."""
    error = triage.validate(body.action, body.value)
    if error:
        raise HTTPException(status_code=400, detail=error)
    try:
        changed = triage.act(session, mention_ids=body.ids, action=body.action, value=body.value, user=user)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if not changed:
        raise HTTPException(status_code=404, detail="no such mention")
    session.commit()
    scope = access.scope_for(session, user)
    return [
        _mention_out(row) for row in (queue.get_mention(session, mention_id=m.id, scope=scope) for m in changed) if row
    ]
