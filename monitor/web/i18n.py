"""Which language a page is shown in.

In order: ``?lang=ru|en|uk`` on the request (remembered in the session, so the next page
stays in it); the user's own choice on ``/settings`` (``User.language``); a language an
earlier ``?lang=`` left in the session; the browser's ``Accept-Language``; English.
A ``?lang=`` we have no catalogue for is ignored rather than refused.

``LanguageMiddleware`` sets the language in use (``monitor.i18n``) for the whole request from
what needs no database (``?lang=``, the session, ``Accept-Language``), so text a route builds in
Python before rendering (charts, labels) is in it too; ``render`` then refines it with the
user's own choice and keeps that in the session for the requests that follow.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from monitor import i18n

SESSION_LANGUAGE_KEY = "lang"


def request_language(request: Request, user=None) -> str:
    """The language ``request`` is answered in (see the module docstring for the order)."""
    asked = i18n.supported(request.query_params.get("lang"))
    if asked:
        _remember(request, asked)
        return asked
    saved = i18n.supported(getattr(user, "language", None))
    if saved:
        _remember(request, saved)
        return saved
    remembered = i18n.supported(_session(request).get(SESSION_LANGUAGE_KEY))
    return remembered or i18n.from_accept_language(request.headers.get("accept-language")) or i18n.DEFAULT


def _session(request: Request) -> dict:
    # Pages outside the session middleware's reach (tests building a bare Request) have none.
    return request.session if "session" in request.scope else {}


def _remember(request: Request, language: str) -> None:
    if "session" in request.scope and request.session.get(SESSION_LANGUAGE_KEY) != language:
        request.session[SESSION_LANGUAGE_KEY] = language


class LanguageMiddleware:
    """Runs each HTTP request inside ``i18n.use`` of its language, as far as it is known
    without the database; must sit inside the session middleware."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = i18n.supported(request.query_params.get("lang")) or i18n.supported(
            _session(request).get(SESSION_LANGUAGE_KEY)
        )
        with i18n.use(asked or i18n.from_accept_language(request.headers.get("accept-language"))):
            await self.app(scope, receive, send)
