"""The second step of signing in: a TOTP code, a recovery code or a passkey, for a browser
half signed in by the password (``monitor.web.signin_steps``).

``GET /login/second-factor`` the form; ``POST /login/second-factor`` a code (six digits: TOTP;
otherwise a recovery code, spent once); ``POST /login/passkey/options`` and
``POST /login/passkey`` the passkey exchange (JSON, from ``/static/passkeys.js``).

Attempts are limited as password attempts are (``monitor.web.ratelimit``): per address and
per account, under a key of its own (``2fa:ID``) so that a right password does not clear
the wrong codes counted before it. A replayed TOTP code is refused (``factors.check_totp``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from monitor import i18n
from monitor.core.models import User
from monitor.review.signin import factors, passkeys, recovery, totp
from monitor.web import signin_steps
from monitor.web.deps import LoginRequired, SessionDep, render
from monitor.web.ratelimit import LoginLimiter

router = APIRouter(include_in_schema=False)

CHALLENGE_KEY = "webauthn"
CHALLENGE_SECONDS = 180
WRONG_CODE = i18n.N_("That code did not work: check your authenticator app's clock, or use a recovery code.")
TOO_MANY = i18n.N_("Too many failed attempts: wait 15 minutes and try again.")


def origin_of(request: Request) -> str:
    """The page origin the browser reports in WebAuthn answers (scheme, host and port)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def remember_challenge(request: Request, purpose: str, challenge: str, rp_id: str) -> None:
    """Keep a WebAuthn challenge in the signed cookie for one answer within ``CHALLENGE_SECONDS``."""
    request.session[CHALLENGE_KEY] = {"for": purpose, "c": challenge, "rp": rp_id, "at": time.time()}


def take_challenge(request: Request, purpose: str) -> tuple[str, str, datetime]:
    """The challenge, rp id and issue time kept for ``purpose`` (removed from the cookie);
    raises ``PasskeyError`` when there is none or it is older than ``CHALLENGE_SECONDS``."""
    kept = request.session.pop(CHALLENGE_KEY, None)
    issued = kept.get("at") if isinstance(kept, dict) else None
    if not isinstance(issued, (int, float)) or kept.get("for") != purpose or issued + CHALLENGE_SECONDS < time.time():
        raise passkeys.PasskeyError("the passkey request expired: try again")
    return str(kept["c"]), str(kept["rp"]), datetime.fromtimestamp(issued, UTC)


def passkey_problem(request: Request) -> str | None:
    """Why passkeys cannot work at this address (an IP address), or None."""
    try:
        passkeys.relying_party(request.url.hostname)
    except passkeys.PasskeyError as exc:
        return str(exc)
    return None


def half_signed_user(request: Request, session: SessionDep) -> User:
    """The user half signed in on this browser; ``LoginRequired`` (to the login) when none or expired."""
    user = signin_steps.pending_user(request, session)
    if user is None:
        raise LoginRequired()
    return user


HalfSignedDep = Annotated[User, Depends(half_signed_user)]


def _page(request: Request, session: Session, user, *, error: str | None = None, status: int = 200) -> Response:
    return render(
        request,
        "second_factor.html",
        status_code=status,
        error=error,
        has_totp=factors.has_totp(session, user.id),
        recovery_left=recovery.remaining(session, user_id=user.id),
        has_passkey=bool(factors.passkeys_of(session, user.id)),
        passkey_problem=passkey_problem(request),
    )


@router.get("/login/second-factor")
def second_factor_form(request: Request, session: SessionDep, user: HalfSignedDep) -> Response:
    """The second-step form for a half-signed-in browser; others go to the login."""
    return _page(request, session, user)


@router.post("/login/second-factor")
def second_factor(
    request: Request, session: SessionDep, user: HalfSignedDep, code: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    """Check a TOTP or recovery code; the session starts on success."""
    limiter: LoginLimiter = request.app.state.login_limiter
    reservation = limiter.reserve(session, *_keys(request, user.id))
    if reservation is None:
        return _page(request, session, user, error=i18n.gettext(TOO_MANY), status=429)
    method = _check_code(session, user.id, code)
    if method is None:
        signin_steps.failed(request, session, step="second-factor", user_id=user.id)
        return _page(request, session, user, error=i18n.gettext(WRONG_CODE), status=401)
    limiter.succeeded(session, reservation)
    if method == "recovery":
        factors.audit(
            session,
            user_id=user.id,
            action="recovery-code-used",
            after={"left": recovery.remaining(session, user_id=user.id)},
        )
    signin_steps.finish(request, session, user, method=method)
    return RedirectResponse(signin_steps.HOME_URL, status_code=303)


def _keys(request: Request, user_id: int) -> tuple[str, str]:
    return (f"ip:{signin_steps.client_address(request)}", f"2fa:{user_id}")


def _check_code(session: Session, user_id: int, code: str) -> str | None:
    """ "totp" or "recovery" for the kind of code that held, None when none did."""
    if totp.parse_code(code) is not None:
        return "totp" if factors.check_totp(session, user_id=user_id, text=code) else None
    return "recovery" if recovery.use(session, user_id=user_id, text=code) else None


@router.post("/login/passkey/options")
def passkey_options(request: Request, session: SessionDep, user: HalfSignedDep) -> Response:
    """WebAuthn request options for the half-signed-in user's passkeys (JSON)."""
    try:
        rp_id = passkeys.relying_party(request.url.hostname)
    except passkeys.PasskeyError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    ids = [p.credential_id for p in factors.passkeys_of(session, user.id) if p.rp_id == rp_id]
    if not ids:
        return JSONResponse({"detail": "You have no passkey for this address: use a code."}, status_code=400)
    options, challenge = passkeys.authentication_options(rp_id=rp_id, credential_ids=ids)
    remember_challenge(request, "signin", challenge, rp_id)
    return JSONResponse(options)


@router.post("/login/passkey")
def passkey_signin(
    request: Request, session: SessionDep, user: HalfSignedDep, credential: Annotated[dict[str, Any], Body(embed=True)]
) -> Response:
    """Check the signed challenge; the session starts on success (JSON ``{"redirect": …}``)."""
    limiter: LoginLimiter = request.app.state.login_limiter
    reservation = limiter.reserve(session, *_keys(request, user.id))
    if reservation is None:
        return JSONResponse({"detail": TOO_MANY}, status_code=429)
    try:
        _verify_passkey(request, session, user.id, credential)
    except passkeys.PasskeyError as exc:
        signin_steps.failed(request, session, step="passkey", user_id=user.id)
        return JSONResponse({"detail": str(exc)}, status_code=401)
    limiter.succeeded(session, reservation)
    signin_steps.finish(request, session, user, method="passkey")
    return JSONResponse({"redirect": signin_steps.HOME_URL})


def _verify_passkey(request: Request, session: Session, user_id: int, credential: dict) -> None:
    challenge, rp_id, issued = take_challenge(request, "signin")
    found = factors.passkey_for(
        session, user_id=user_id, rp_id=rp_id, credential_id=passkeys.credential_id_of(credential)
    )
    if found is None:
        raise passkeys.PasskeyError("that passkey is not one of yours here")
    count = passkeys.verify_authentication(
        credential,
        challenge=challenge,
        rp_id=rp_id,
        origin=origin_of(request),
        public_key=found.public_key,
        sign_count=found.sign_count,
    )
    claimed = factors.claim_passkey_use(session, passkey_id=found.id, issued=issued, sign_count=count)
    if not claimed:
        raise passkeys.PasskeyError("that passkey answer was already used")
