"""``create_app()``: the FastAPI application with sessions, CSRF, security headers and routes.

Routes: ``/login`` ``/logout`` (auth), ``/`` ``/review`` ``/review/act`` ``/review/{id}``
``/review/export.{csv,atom}`` ``/people`` ``/people/{id}`` (pages), admin only: ``/sources``
``/admin/audit`` ``/admin/exclusions`` ``/admin/people`` ``/admin/users`` ``/admin/recipients`` and
their forms (``monitor.web.manage``, ``manage_people``); ``/api/*``
(JSON), ``/docs`` ``/openapi.json`` (need a session like everything else), ``/healthz`` and
``/static/*`` (public).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from monitor.config import get_settings
from monitor.metrics import heartbeat_status
from monitor.web import admin, api, auth, digest_routes, export, manage, manage_people, ops_routes, people, review
from monitor.web import spikes as spike_cards
from monitor.web.csrf import verify_csrf
from monitor.web.deps import LoginRequired, SessionDep, UserDep
from monitor.web.headers import SecurityHeadersMiddleware
from monitor.web.ratelimit import LoginLimiter
from monitor.web.warmup import FreezeAfterWarmupMiddleware

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "monitor_session"
SESSION_MAX_AGE = 7 * 24 * 3600
JSON_PATHS = ("/api/", "/openapi.json")


def create_app() -> FastAPI:
    """The web application, configured from ``get_settings()``."""
    settings = get_settings()
    app = FastAPI(
        title="Mention monitor",
        summary="Review queue and JSON API of the mention monitor.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(verify_csrf)],
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(FreezeAfterWarmupMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.login_limiter = LoginLimiter()
    # export before review: /review/export.* must not be taken for /review/{mention_id}.
    for router in (auth.router, export.router, review.router, people.router, admin.router, manage.router,
                   manage_people.router, api.router):
        app.include_router(router)
    app.include_router(digest_routes.router)
    app.include_router(spike_cards.router)
    app.include_router(ops_routes.router)
    _add_system_routes(app)
    app.add_exception_handler(LoginRequired, _login_required)
    return app


def _login_required(request: Request, exc: LoginRequired) -> Response:
    if request.url.path.startswith(JSON_PATHS):
        return JSONResponse({"detail": "login required"}, status_code=401)
    return RedirectResponse("/login", status_code=303)


def _add_system_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz(session: SessionDep) -> Response:
        """200 when the database answers a trivial query, 503 otherwise; no login needed."""
        try:
            session.exec(sa.select(1)).one()
        except sa.exc.SQLAlchemyError:
            return JSONResponse({"status": "error", "detail": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", **heartbeat_status(session)})

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: UserDep) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs(user: UserDep) -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Mention monitor API")
