"""``/settings``: the reader's own timezone, language and private feed token.

The timezone is the user's (``User.timezone``; empty means the ``[digest] timezone``); the
feed token opens the user's private Atom feeds (``monitor.web.feeds``). The changes and their
audit entries are ``monitor.review.preferences``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from monitor import i18n
from monitor.core.models import User
from monitor.core.settings import get_settings
from monitor.core.storage import access
from monitor.review import cards, feed_tokens, preferences
from monitor.review.errors import Refused
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.i18n import SESSION_LANGUAGE_KEY
from monitor.web.refusals import as_http
from monitor.web.timezones import digest_zone, zone_names

router = APIRouter(include_in_schema=False)


def feed_urls(session: Session, user: User) -> dict | None:
    """The absolute URLs of ``user``'s feeds (queue, and the pattern for a person), or None without a token."""
    row = feed_tokens.live_token(session, user)
    if row is None:
        return None
    base, token = get_settings().base_url.rstrip("/"), feed_tokens.token_string(row)
    return {
        "queue": f"{base}/feeds/review.atom?{urlencode({'token': token})}",
        "people": [
            (p.name, f"{base}/feeds/people/{p.id}.atom?{urlencode({'token': token})}")
            for p in cards.people(session, access.scope_for(session, user))
        ],
        "metrics": f"{base}/metrics?{urlencode({'token': token})}" if user.role == "admin" else None,
        "created_at": row.created_at,
    }


def _page(request: Request, session: Session, user: User, *, error: str | None = None, status: int = 200) -> Response:
    return render(
        request,
        "settings.html",
        status_code=status,
        user=user,
        error=error,
        zones=zone_names(),
        default_zone=digest_zone().key,
        feeds=feed_urls(session, user),
        languages=i18n.NAMES,
    )


@router.get("/settings")
def settings_page(request: Request, session: SessionDep, user: UserDep) -> Response:
    """The user's timezone and private feeds."""
    return _page(request, session, user)


@router.post("/settings/timezone")
def set_timezone(
    request: Request, session: SessionDep, user: UserDep, timezone: Annotated[str, Form()] = ""
) -> Response:
    """Show times in ``timezone`` (an IANA name); empty: the digest timezone."""
    try:
        preferences.set_timezone(session, user=user, name=timezone)
    except Refused as exc:
        return _page(request, session, user, error=exc.message, status=400)
    session.commit()
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/language")
def set_language(
    request: Request, session: SessionDep, user: UserDep, language: Annotated[str, Form()] = ""
) -> Response:
    """Show pages in ``language`` (``monitor.i18n.LANGUAGES``); empty: ``?lang=`` or the browser's."""
    try:
        preferences.set_language(session, user=user, language=language)
    except Refused as exc:
        return _page(request, session, user, error=exc.message, status=400)
    request.session.pop(SESSION_LANGUAGE_KEY, None)  # the browser's language again, or the new choice
    session.commit()
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/feed-token")
def feed_token(session: SessionDep, user: UserDep, action: Annotated[str, Form()]) -> Response:
    """``new``: a new private feed token (the old URLs stop working); ``revoke``: none at all."""
    try:
        preferences.change_feed_token(session, user=user, action=action)
    except Refused as exc:
        raise as_http(exc) from exc
    session.commit()
    return RedirectResponse("/settings#feeds", status_code=303)
