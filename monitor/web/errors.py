"""Error answers a person can read: HTML pages for pages, JSON for the API and the page script.

A reviewer who opens an admin page gets a page saying what they may not do and where to go,
not ``{"detail": …}``. The JSON API (``/api/``, ``/openapi.json``), requests from our own
script (``X-Requested-With: fetch``) and clients that ask for JSON keep FastAPI's JSON body.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.i18n import N_

JSON_PATHS = ("/api/", "/openapi.json", "/feeds/")

# What each status means to a person, and what to do about it (translated by error.html).
EXPLANATIONS = {
    400: (N_("This request could not be understood"), N_("Check what was typed and try again.")),
    401: (N_("Please log in"), N_("Your session has ended.")),
    403: (N_("Not allowed"), N_("Your account may not do this. Ask an admin if you need it.")),
    404: (N_("Not found"), N_("It may have been removed, or the link is wrong.")),
    409: (N_("Cannot change this here"), N_("It is managed elsewhere.")),
    413: (N_("Too large"), N_("The request was larger than the monitor accepts.")),
    429: (N_("Too many attempts"), N_("Wait a little and try again.")),
}


def wants_json(request: Request) -> bool:
    """True for the JSON API, our own script, and clients that prefer JSON to HTML."""
    if request.url.path.startswith(JSON_PATHS) or request.headers.get("x-requested-with") == "fetch":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """An HTML page naming the problem for a page request; FastAPI's JSON for the rest."""
    if wants_json(request) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    from monitor.web.deps import optional_user, render

    title, advice = EXPLANATIONS.get(exc.status_code, (N_("Something went wrong"), N_("Try again later.")))
    detail = exc.detail if isinstance(exc.detail, str) else ""
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        user=_user_of(request, optional_user),
        title=title,
        detail=detail.rstrip("."),
        advice=advice,
        status=exc.status_code,
    )


def _user_of(request: Request, optional_user):
    """The logged-in user for the page's header, or None (an error page must never fail)."""
    from monitor.web.deps import get_db

    try:
        for session in get_db():
            return optional_user(request, session)
    except Exception:  # noqa: BLE001 - the error page is drawn without a header rather than not at all
        return None
    return None


def login_required_json() -> JSONResponse:
    return JSONResponse({"detail": "login required: your session has ended"}, status_code=401)


def install(app: FastAPI) -> None:
    """Use ``http_error`` for every HTTP error the app raises."""
    app.add_exception_handler(StarletteHTTPException, http_error)
