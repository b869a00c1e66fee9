"""CSRF protection: one random token per session, checked on every state-changing request.

The token lives in the signed session cookie (so it is bound to ``MONITOR_SECRET_KEY``).
Anonymous visitors get one too, which protects the login form itself. Forms send it as the
``csrf_token`` field, JSON clients as the ``X-CSRF-Token`` header (``GET /api/me`` tells
them the value). ``verify_csrf`` runs as an app-wide dependency, so no route can forget it;
a missing or wrong token is a 403 before the route body runs.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# RFC 8058 one-click unsubscribe: mail clients POST with no session; the signed token is the authority.
CSRF_EXEMPT_PATHS = frozenset({"/digest/unsubscribe"})


def csrf_token(request: Request) -> str:
    """This session's token, created on first use."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not token:
        token = rotate_csrf_token(request)
    return token


def rotate_csrf_token(request: Request) -> str:
    """Replace this session's token (at login, so a pre-login token cannot be reused)."""
    token = secrets.token_urlsafe(32)
    request.session[CSRF_SESSION_KEY] = token
    return token


async def _submitted_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def verify_csrf(request: Request) -> None:
    """Raise 403 unless a state-changing request carries this session's token."""
    if request.method in SAFE_METHODS or request.url.path in CSRF_EXEMPT_PATHS:
        return
    expected = request.session.get(CSRF_SESSION_KEY, "")
    submitted = await _submitted_token(request)
    if not expected or not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong: reload the page and try again")
