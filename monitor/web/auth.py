"""Login and logout. The signed cookie holds the user id and the token of a server-side
session record (``monitor.core.storage.sessions``); ``deps.optional_user`` checks both.

A login attempt is reserved with the rate limiter (``monitor.web.ratelimit``) before its
password is hashed, and at most ``PASSWORD_CHECKS_AT_ONCE`` argon2 checks run at a time per
process (each takes 64 MiB): further logins wait in the event loop, holding neither a worker
thread nor hashing memory, so a burst of logins cannot exhaust memory or starve other pages.
"""

from __future__ import annotations

import functools
from typing import Annotated

import anyio
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from monitor import i18n
from monitor.core.storage import sessions
from monitor.i18n import N_
from monitor.review.users import authenticate, normalise_email
from monitor.web import signin_steps
from monitor.web.deps import SESSION_TOKEN_KEY, SessionDep, optional_user, render
from monitor.web.ratelimit import LoginLimiter, keys_for

router = APIRouter(include_in_schema=False)

PASSWORD_CHECKS_AT_ONCE = 2
TOO_MANY = N_("Too many failed logins: wait 15 minutes and try again.")


def password_checks(app: FastAPI) -> anyio.CapacityLimiter:
    """The app's bound on concurrent password checks (created in its event loop on first use)."""
    if getattr(app.state, "password_checks", None) is None:
        app.state.password_checks = anyio.CapacityLimiter(PASSWORD_CHECKS_AT_ONCE)
    return app.state.password_checks


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the forwarded one when the peer is a trusted proxy
    (``monitor.web.app`` applies ``MONITOR_TRUSTED_PROXIES`` before any route runs)."""
    return request.client.host if request.client else "?"


@router.get("/login")
def login_form(request: Request, session: SessionDep) -> Response:
    """The login form; a visitor who is already logged in goes straight to the queue."""
    if optional_user(request, session) is not None:
        return RedirectResponse("/review", status_code=303)
    return render(request, "login.html", email="", error=None)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success start a fresh session and go to the queue.

    Too many failures from one address or for one account answer 429 unchecked."""
    limiter: LoginLimiter = request.app.state.login_limiter
    keys = keys_for(address=client_address(request), email=normalise_email(email))
    reservation = await run_in_threadpool(limiter.reserve, session, *keys)
    if reservation is None:
        return render(request, "login.html", status_code=429, email=email, error=i18n.gettext(TOO_MANY))
    check = functools.partial(authenticate, session, email=email, password=password)
    user = await anyio.to_thread.run_sync(check, limiter=password_checks(request.app))
    if user is None:
        await run_in_threadpool(functools.partial(signin_steps.failed, request, session, step="password", email=email))
        return render(
            request, "login.html", status_code=401, email=email, error=i18n.gettext("Wrong email or password.")
        )
    await run_in_threadpool(limiter.succeeded, session, reservation)
    # The second factor (or its enrolment) when the user has or needs one; then a fresh session,
    # so that nothing an attacker planted before it survives (monitor.web.signin_steps).
    return await run_in_threadpool(signin_steps.after_password, request, session, user)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the session: its server-side record is revoked, so a copy of the cookie stops working."""
    sessions.end(session, request.session.get(SESSION_TOKEN_KEY))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
