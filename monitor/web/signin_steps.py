"""The steps of signing in: after the password, a second factor when the user has one (or
enrolment of one when the admin requires it), then the session.

Between the steps the browser is *half signed in*: the signed cookie holds ``PENDING_KEY``
(the user id, the password stamp, an expiry ``PENDING_SECONDS`` ahead and whether the user
must enrol), but no ``deps.SESSION_USER_KEY``, so ``deps.optional_user`` sees nobody and
every page but the second-factor and enrolment ones answers as to a visitor. ``finish``
starts the real session (``monitor.core.storage.sessions``) and replaces the whole cookie.

Every sign-in and every failure is audited (``monitor.review.signin.factors.audit``); a failure for
an email with no account is recorded without the email (it may be a password typed into the
wrong field), only the address it came from.
"""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from monitor.core.models import User
from monitor.core.storage import sessions
from monitor.review.signin import factors
from monitor.review.users import normalise_email, session_stamp
from monitor.web.csrf import rotate_csrf_token
from monitor.web.deps import SESSION_STAMP_KEY, SESSION_TOKEN_KEY, SESSION_USER_KEY
from monitor.web.i18n import SESSION_LANGUAGE_KEY

PENDING_KEY = "half"
PENDING_SECONDS = 5 * 60
SECOND_STEP_URL = "/login/second-factor"
ENROL_URL = "/account/two-factor"
HOME_URL = "/review"


def client_address(request: Request) -> str:
    """The client's address (after ``MONITOR_TRUSTED_PROXIES`` was applied by the app)."""
    return request.client.host if request.client else "?"


def after_password(request: Request, session: Session, user: User) -> Response:
    """Where a right password leads: the second factor, enrolment (when required and the user
    has none), or straight into a session."""
    if factors.has_factor(session, user.id):
        _hold(request, user, enrol=False)
        return RedirectResponse(SECOND_STEP_URL, status_code=303)
    if factors.second_factor_required(session):
        _hold(request, user, enrol=True)
        factors.audit(
            session, user_id=user.id, action="signin-enrol-required", after={"address": client_address(request)}
        )
        return RedirectResponse(ENROL_URL, status_code=303)
    finish(request, session, user, method="password")
    return RedirectResponse(HOME_URL, status_code=303)


def _hold(request: Request, user: User, *, enrol: bool) -> None:
    request.session.clear()  # nothing planted before the password survives
    request.session[PENDING_KEY] = {
        "uid": user.id,
        "pw": session_stamp(user),
        "until": time.time() + PENDING_SECONDS,
        "enrol": enrol,
    }
    rotate_csrf_token(request)


def pending_user(request: Request, session: Session, *, enrol: bool = False) -> User | None:
    """The user half signed in on this browser (who must enrol, when ``enrol``), or None when
    there is none, it expired, or the account changed since the password."""
    held = request.session.get(PENDING_KEY)
    if not isinstance(held, dict) or not isinstance(held.get("uid"), int) or bool(held.get("enrol")) != enrol:
        return None
    if not isinstance(held.get("until"), (int, float)) or held["until"] < time.time():
        request.session.pop(PENDING_KEY, None)
        return None
    user = session.get(User, held["uid"])
    if user is None or not user.active or held.get("pw") != session_stamp(user):
        request.session.pop(PENDING_KEY, None)
        return None
    return user


def finish(request: Request, session: Session, user: User, *, method: str) -> None:
    """Start the user's session (a fresh cookie: nothing from before survives); audited as a sign-in."""
    token = sessions.start(session, user=user, user_agent=request.headers.get("user-agent", ""))
    language = request.session.get(SESSION_LANGUAGE_KEY)  # a ?lang= chosen before signing in: harmless, kept
    request.session.clear()
    if language:
        request.session[SESSION_LANGUAGE_KEY] = language
    request.session.update(
        {SESSION_USER_KEY: user.id, SESSION_STAMP_KEY: session_stamp(user), SESSION_TOKEN_KEY: token}
    )
    rotate_csrf_token(request)
    factors.audit(
        session, user_id=user.id, action="signin", after={"method": method, "address": client_address(request)}
    )


def failed(
    request: Request, session: Session, *, step: str, email: str | None = None, user_id: int | None = None
) -> None:
    """Audit a failed step: the account's id when the email names one, never the typed email."""
    if user_id is None and email:
        user_id = session.exec(select(User.id).where(User.email == normalise_email(email))).first()
    factors.audit(
        session, user_id=user_id, action="signin-failed", after={"step": step, "address": client_address(request)}
    )
