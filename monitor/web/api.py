"""The JSON API under ``/api``. It needs a session like the pages; writes need ``X-CSRF-Token``.

Text fields are returned as stored: they come from feeds, so clients must escape them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from monitor.web import queue
from monitor.web.csrf import CSRF_HEADER, csrf_token
from monitor.web.deps import SessionDep, UserDep

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


class MeOut(BaseModel):
    email: str
    role: str
    csrf_token: str
    csrf_header: str


def _mention_out(row: queue.MentionRow) -> MentionOut:
    m = row.mention
    return MentionOut(
        id=m.id, source=row.source, url=m.url, title=m.title, text=m.text, published_at=m.published_at,
        fetched_at=m.fetched_at, people=row.people, status=m.status, cluster_id=m.cluster_id,
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
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[MentionOut]:
    """Mentions, newest fetched first; ``status`` filters (all statuses when absent)."""
    return [_mention_out(row) for row in queue.list_mentions(session, status=status, limit=limit, offset=offset)]


@router.post("/mentions/{mention_id}/decision")
def mention_decision(mention_id: int, body: DecisionIn, session: SessionDep, user: UserDep) -> MentionOut:
    """Confirm or dismiss a mention; appends to the decision log. Needs ``X-CSRF-Token``."""
    if queue.decide(session, mention_id=mention_id, user_id=user.id, decision=body.decision) is None:
        raise HTTPException(status_code=404, detail=f"mention {mention_id} not found")
    session.commit()
    return _mention_out(queue.get_mention(session, mention_id=mention_id))


@router.get("/spikes")
def spikes(
    session: SessionDep,
    user: UserDep,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> list[SpikeOut]:
    """Volume spikes, latest hour first; ``since`` keeps hours at or after it."""
    return [
        SpikeOut(
            id=r.spike.id, person=r.person, hour=r.spike.hour, count=r.spike.count, expected=r.spike.expected,
            score=r.spike.score, detected_at=r.spike.detected_at,
        )
        for r in queue.list_spikes(session, since=since, limit=limit)
    ]
