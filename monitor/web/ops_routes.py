"""Operations routes: ``/metrics`` in Prometheus text format.

A scraper authenticates with ``Authorization: Bearer $MONITOR_METRICS_TOKEN``; without a
configured token, or without the header, ``/metrics`` takes an admin's private feed token
(``Bearer`` or ``?token=``, ``monitor.review.feed_tokens``) or a session like every page.
Labels carry source ids, never URLs.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse

from monitor.core.models import User
from monitor.core.settings import get_settings
from monitor.ingest import metrics
from monitor.review import feed_tokens
from monitor.web.deps import LoginRequired, SessionDep, optional_user

router = APIRouter(include_in_schema=False)
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def scraper_or_user(
    request: Request, session: SessionDep, user: Annotated[User | None, Depends(optional_user)]
) -> None:
    """Let in a request with the metrics bearer token, an admin's feed token (``monitor.web.feeds``,
    as ``Bearer`` or ``?token=``) or a logged-in user. A ``?token=`` that opens nothing is a 401;
    otherwise, without a session, ``LoginRequired``."""
    token = get_settings().metrics_token
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given, token.get_secret_value()):
        return
    owner = feed_tokens.user_for_token(session, given) if given else None
    if owner is not None and owner.role == "admin":
        return
    in_query = request.query_params.get("token")
    if in_query:  # only a feed token travels in the query: one that opens nothing is a 401
        owner = feed_tokens.user_for_token(session, in_query)
        if owner is not None and owner.role == "admin":
            return
        if user is None:
            raise HTTPException(status_code=401, detail="metrics token unknown or revoked")
    if user is None:
        raise LoginRequired()


@router.get("/metrics", dependencies=[Depends(scraper_or_user)])
def prometheus_metrics(session: SessionDep) -> PlainTextResponse:
    """Polls, errors, new mentions, last successful poll per source, queue length, heartbeat age."""
    return PlainTextResponse(metrics.render(session), media_type=PROMETHEUS_TEXT)
