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

JSON_PATHS = ("/api/", "/openapi.json", "/feeds/")

# What each status means to a person, and what to do about it.
EXPLANATIONS = {
    400: ("This request could not be understood", "Check what was typed and try again."),
    401: ("Please log in", "Your session has ended."),
    403: ("Not allowed", "Your account may not do this. Ask an admin if you need it."),
    404: ("Not found", "It may have been removed, or the link is wrong."),
    409: ("Cannot change this here", "It is managed elsewhere."),
    413: ("Too large", "The request was larger than the monitor accepts."),
    429: ("Too many attempts", "Wait a little and try again."),
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

    title, advice = EXPLANATIONS.get(exc.status_code, ("Something went wrong", "Try again later."))
    detail = exc.detail if isinstance(exc.detail, str) else ""
    return render(request, "error.html", status_code=exc.status_code, user=_user_of(request, optional_user),
                  title=title, detail=detail.rstrip("."), advice=advice, status=exc.status_code)


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
