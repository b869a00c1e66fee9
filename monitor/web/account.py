"""The signed-in user's own sessions: where they are signed in, and signing out elsewhere.

``GET /account/sessions`` lists the user's live sessions (this one marked);
``POST /account/sessions/{id}/end`` ends one of them, ``POST /account/sessions/end-others``
every one but this (after a lost laptop, or a cookie seen where it should not be).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from monitor.core.storage import sessions
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.limits import DbId

router = APIRouter(include_in_schema=False)


@router.get("/account/sessions")
def sessions_page(request: Request, session: SessionDep, user: UserDep) -> Response:
    """The user's live sessions, most recently used first."""
    current = request.state.web_session
    return render(
        request,
        "sessions.html",
        user=user,
        rows=sessions.live(session, user_id=user.id),
        current_id=current.id,
        lifetime_days=sessions.LIFETIME.days,
    )


@router.post("/account/sessions/end-others")
def end_others(request: Request, session: SessionDep, user: UserDep) -> Response:
    """Sign out everywhere but here."""
    sessions.end_all(session, user_id=user.id, keep_id=request.state.web_session.id)
    return RedirectResponse("/account/sessions", status_code=303)


@router.post("/account/sessions/{session_id}/end")
def end_one(session_id: DbId, session: SessionDep, user: UserDep) -> Response:
    """End one of the user's own sessions (ending this one is logging out)."""
    sessions.end_one(session, user_id=user.id, session_id=session_id)
    return RedirectResponse("/account/sessions", status_code=303)
