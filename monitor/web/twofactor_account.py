"""A user's own second factors: ``/account/two-factor``.

``GET /account/two-factor`` what the user has (and, for admins, the site policy);
``GET``/``POST /account/two-factor/totp`` enrol an authenticator app (QR code as inline SVG,
confirmed with a code); ``POST /account/two-factor/totp/remove``;
``POST /account/two-factor/recovery`` ten new recovery codes (shown once);
``POST /account/passkeys/options`` + ``POST /account/passkeys`` register a passkey (JSON, from
``/static/passkeys.js``); ``POST /account/passkeys/{id}/remove``; admin:
``POST /admin/two-factor`` requires a second factor of everyone, and
``POST /admin/users/{id}/two-factor/reset`` removes a user's factors.

A signed-in user reaches these pages; so does a browser half signed in whose user must enrol
(``signin_steps.ENROL_URL``): enrolling the first factor then finishes the sign-in. Every
change is audited. The rules (while the policy requires a factor, the last one cannot be
removed) and writes are ``monitor.review.signin.enrolment`` and ``factors``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from monitor.core.models import User
from monitor.review.errors import Refused
from monitor.review.signin import enrolment, factors, passkeys, recovery, totp
from monitor.web import signin_steps
from monitor.web.deps import (
    AdminDep,
    LoginRequired,
    SessionDep,
    UserDep,
    optional_user,
    render,
)
from monitor.web.limits import DbId
from monitor.web.refusals import as_http
from monitor.web.twofactor import (
    origin_of,
    passkey_problem,
    remember_challenge,
    take_challenge,
)

router = APIRouter(include_in_schema=False)

PAGE = "/account/two-factor"


def enrolling_user(request: Request, session: SessionDep) -> User:
    """The signed-in user, or the half-signed-in one who must enrol; else ``LoginRequired``."""
    user = optional_user(request, session) or signin_steps.pending_user(request, session, enrol=True)
    if user is None:
        raise LoginRequired()
    return user


EnrollingDep = Annotated[User, Depends(enrolling_user)]


def _enrolling(request: Request) -> bool:
    return signin_steps.PENDING_KEY in request.session


def _overview(
    request: Request, session: Session, user: User, *, error: str | None = None, status: int = 200
) -> Response:
    enrolling = _enrolling(request)
    return render(
        request,
        "two_factor.html",
        status_code=status,
        user=None if enrolling else user,
        account=user,
        enrolling=enrolling,
        error=error,
        has_totp=factors.has_totp(session, user.id),
        passkeys=factors.passkeys_of(session, user.id),
        recovery_left=recovery.remaining(session, user_id=user.id),
        required=factors.second_factor_required(session),
        passkey_problem=passkey_problem(request),
    )


@router.get(PAGE)
def overview(request: Request, session: SessionDep, user: EnrollingDep) -> Response:
    """The user's factors, and what can be added or removed."""
    return _overview(request, session, user)


@router.get(f"{PAGE}/totp")
def totp_form(request: Request, session: SessionDep, user: EnrollingDep, error: str | None = None) -> Response:
    """The QR code and secret of a new authenticator-app enrolment, and the form to confirm it."""
    try:
        secret = factors.pending_secret(session, user.id)
    except ValueError as exc:
        return _overview(request, session, user, error=str(exc), status=409)
    uri = totp.provisioning_uri(secret, user.email)
    return render(
        request,
        "totp_enrol.html",
        user=None if _enrolling(request) else user,
        qr=totp.qr_svg(uri),
        secret=secret,
        error=error,
    )


@router.post(f"{PAGE}/totp")
def totp_confirm(
    request: Request, session: SessionDep, user: EnrollingDep, code: Annotated[str, Form()] = ""
) -> Response:
    """Confirm the enrolment with a code; then recovery codes (when the user has none) are shown once."""
    if not enrolment.confirm_totp(session, user_id=user.id, code=code):
        return RedirectResponse(f"{PAGE}/totp?error=wrong-code", status_code=303)
    return _factor_added(request, session, user, method="totp")


def _factor_added(request: Request, session: Session, user: User, *, method: str) -> Response:
    codes = enrolment.first_recovery_codes(session, user_id=user.id)
    if _enrolling(request):
        signin_steps.finish(request, session, user, method=f"{method}-enrolled")
    return render(request, "recovery_codes.html", user=user, codes=codes)


@router.post(f"{PAGE}/totp/remove")
def totp_remove(request: Request, session: SessionDep, user: UserDep) -> Response:
    """Remove the authenticator app (refused when it is the last factor and one is required)."""
    try:
        enrolment.remove_totp(session, user_id=user.id)
    except Refused as exc:
        return _overview(request, session, user, error=exc.message, status=exc.status)
    session.commit()
    return RedirectResponse(PAGE, status_code=303)


@router.post(f"{PAGE}/recovery")
def recovery_new(request: Request, session: SessionDep, user: UserDep) -> Response:
    """Ten new recovery codes, replacing the old ones; shown once. Needs a factor to recover."""
    try:
        codes = enrolment.new_recovery_codes(session, user_id=user.id)
    except Refused as exc:
        return _overview(request, session, user, error=exc.message, status=exc.status)
    return render(request, "recovery_codes.html", user=user, codes=codes)


@router.post("/account/passkeys/options")
def passkey_options(request: Request, session: SessionDep, user: EnrollingDep) -> Response:
    """WebAuthn creation options for a new passkey of this user (JSON)."""
    try:
        rp_id = passkeys.relying_party(request.url.hostname)
    except passkeys.PasskeyError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    existing = [p.credential_id for p in factors.passkeys_of(session, user.id) if p.rp_id == rp_id]
    options, challenge = passkeys.registration_options(
        rp_id=rp_id, user_id=user.id, account=user.email, existing=existing
    )
    remember_challenge(request, "register", challenge, rp_id)
    return JSONResponse(options)


@router.post("/account/passkeys")
def passkey_add(
    request: Request,
    session: SessionDep,
    user: EnrollingDep,
    credential: Annotated[dict[str, Any], Body()],
    name: Annotated[str, Body(max_length=100)] = "",
) -> Response:
    """Verify and keep a new passkey; JSON ``{"redirect": …}`` (the recovery codes when it is the first factor)."""
    try:
        challenge, rp_id, _issued = take_challenge(request, "register")
        new = passkeys.verify_registration(credential, challenge=challenge, rp_id=rp_id, origin=origin_of(request))
    except passkeys.PasskeyError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    first = not factors.has_factor(session, user.id)
    added = factors.add_passkey(
        session,
        user_id=user.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        rp_id=rp_id,
        name=name,
    )
    if not added:
        return JSONResponse({"detail": "this passkey is already registered"}, status_code=409)
    if _enrolling(request):
        signin_steps.finish(request, session, user, method="passkey-enrolled")
    return JSONResponse({"redirect": f"{PAGE}?first=1" if first else PAGE})


@router.post("/account/passkeys/{passkey_id}/remove")
def passkey_remove(request: Request, session: SessionDep, user: UserDep, passkey_id: DbId) -> Response:
    """Remove one of the user's passkeys (refused when it is the last factor and one is required)."""
    try:
        enrolment.remove_passkey(session, user_id=user.id, passkey_id=passkey_id)
    except Refused as exc:
        return _overview(request, session, user, error=exc.message, status=exc.status)
    session.commit()
    return RedirectResponse(PAGE, status_code=303)


@router.post("/admin/two-factor")
def require_second_factor(session: SessionDep, user: AdminDep, require: Annotated[str, Form()] = "") -> Response:
    """Admin: require (``require=on``) or stop requiring a second factor of everyone; audited."""
    enrolment.require_second_factor(session, required=require == "on", actor=user)
    return RedirectResponse(PAGE, status_code=303)


@router.post("/admin/users/{user_id}/two-factor/reset")
def reset_user_factors(session: SessionDep, user: AdminDep, user_id: DbId) -> Response:
    """Admin: remove a user's second factors and recovery codes and end their sessions (after a
    lost phone with no recovery code left); the user signs in with the password and, when a
    factor is required, enrols again. Audited."""
    try:
        enrolment.reset_user(session, user_id=user_id, actor=user)
    except Refused as exc:
        raise as_http(exc) from exc
    return RedirectResponse("/admin/users", status_code=303)
