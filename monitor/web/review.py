"""The review page: the queue of new mentions with confirm/dismiss buttons and spike banner."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from monitor.matching import Matcher
from monitor.models import utcnow
from monitor.web import queue
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.snippet import highlight, name_spans, safe_href

PAGE_SIZE = 50
RECENT_SPIKES = timedelta(hours=48)
SPIKE_BANNER_LIMIT = 10

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(user: UserDep) -> Response:
    return RedirectResponse("/review", status_code=303)


@router.get("/review")
def review_queue(
    request: Request, session: SessionDep, user: UserDep, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    """New mentions, newest first, ``PAGE_SIZE`` a page, under a banner of recent spikes."""
    total = queue.count_mentions(session, status="new")
    rows = queue.list_mentions(session, status="new", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    matcher = Matcher.from_db(session)
    spikes = queue.list_spikes(session, since=utcnow() - RECENT_SPIKES, limit=SPIKE_BANNER_LIMIT)
    return render(
        request,
        "review.html",
        user=user,
        items=[_item(row, matcher) for row in rows],
        spikes=spikes,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
    )


def _item(row: queue.MentionRow, matcher: Matcher) -> dict:
    text = row.mention.text or ""
    return {
        "mention": row.mention,
        "source": row.source,
        "people": row.people,
        "href": safe_href(row.mention.url),
        "snippet": highlight(text, name_spans(text, matcher=matcher, aliases=row.aliases)),
    }


@router.post("/review/{mention_id}")
def review_decide(
    mention_id: int, session: SessionDep, user: UserDep, decision: Annotated[str, Form()]
) -> Response:
    """Confirm or dismiss one mention, then back to the queue."""
    if decision not in queue.DECISIONS:
        raise HTTPException(status_code=400, detail="decision: expected confirmed or dismissed")
    if queue.decide(session, mention_id=mention_id, user_id=user.id, decision=decision) is None:
        raise HTTPException(status_code=404, detail=f"mention {mention_id} not found")
    session.commit()
    return RedirectResponse("/review", status_code=303)
