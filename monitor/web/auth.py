"""Login and logout. The session stores only the user id; ``deps.optional_user`` checks it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from monitor.users import authenticate, normalise_email, session_stamp
from monitor.web.csrf import rotate_csrf_token
from monitor.web.ratelimit import LoginLimiter
from monitor.web.deps import SESSION_STAMP_KEY, SESSION_USER_KEY, SessionDep, optional_user, render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, session: SessionDep) -> Response:
    """The login form; a visitor who is already logged in goes straight to the queue."""
    if optional_user(request, session) is not None:
        return RedirectResponse("/review", status_code=303)
    return render(request, "login.html", email="", error=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success start a fresh session and go to the queue.

    Too many failures from one address or for one email answer 429 (``monitor.web.ratelimit``).
    """
    limiter: LoginLimiter = request.app.state.login_limiter
    keys = (f"ip:{request.client.host if request.client else '?'}", f"email:{normalise_email(email)}")
    if limiter.blocked(session, *keys):
        return render(
            request, "login.html", status_code=429, email=email,
            error="Too many failed logins: wait 15 minutes and try again.",
        )
    user = authenticate(session, email=email, password=password)
    if user is None:
        limiter.failed(session, *keys)
        return render(request, "login.html", status_code=401, email=email, error="Wrong email or password.")
    limiter.succeeded(session, *keys)
    # A new session at login: nothing an attacker planted before it survives.
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.id
    request.session[SESSION_STAMP_KEY] = session_stamp(user)
    rotate_csrf_token(request)
    return RedirectResponse("/review", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
