"""``create_app()``: the FastAPI application with sessions, CSRF, security headers and routes.

Routes: ``/login`` ``/logout`` (auth), ``/`` ``/review`` ``/review/act`` ``/review/{id}``
``/review/export.{csv,atom}`` ``/people`` ``/people/{id}`` (pages), admin only: ``/sources``
``/admin/audit`` ``/admin/exclusions`` ``/admin/people`` ``/admin/users`` ``/admin/recipients`` and
their forms (``monitor.web.manage``, ``manage_people``); ``/api/*``
(JSON), ``/docs`` ``/openapi.json`` (need a session like everything else), ``/account/sessions``
(the user's own sessions), ``/login/second-factor`` ``/account/two-factor`` (second factors:
``twofactor``, ``twofactor_account``), ``/healthz`` and ``/static/*`` (public; Swagger UI's two files under
``/static/swagger/``).

Middleware, outermost first: the body limit (before anything reads a body), the client
address from ``X-Forwarded-For`` when the peer is in ``MONITOR_TRUSTED_PROXIES`` (uvicorn's
``ProxyHeadersMiddleware``, applied here rather than by uvicorn so that the setting holds
however the app is served), the signed session cookie, security headers.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from monitor.core.settings import get_settings
from monitor.ingest.metrics import heartbeat_status
from monitor.web import (
    account,
    admin,
    api,
    auth,
    coverage,
    digest_routes,
    discover_routes,
    errors,
    evidence,
    evidence_export,
    export,
    feeds,
    manage,
    manage_people,
    notify_admin,
    ops_routes,
    people,
    permalinks,
    preferences,
    review,
    twofactor,
    twofactor_account,
)
from monitor.web import spikes as spike_cards
from monitor.web.csrf import verify_csrf
from monitor.web.deps import LoginRequired, SessionDep, UserDep, render
from monitor.web.headers import SecurityHeadersMiddleware
from monitor.web.i18n import LanguageMiddleware
from monitor.web.limits import BodyLimitMiddleware, bounded_path_ids
from monitor.web.ratelimit import LoginLimiter
from monitor.web.warmup import FreezeAfterWarmupMiddleware

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "monitor_session"
SESSION_MAX_AGE = 7 * 24 * 3600
JSON_PATHS = ("/api/", "/openapi.json")
# The only files of the Swagger UI package /docs needs (found without importing the package,
# whose handlers are for other frameworks); the rest of its folder is not served.
SWAGGER_DIR = Path(importlib.util.find_spec("swagger_ui").submodule_search_locations[0]) / "static"
SWAGGER_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


def create_app() -> FastAPI:
    """The web application, configured from ``get_settings()``."""
    settings = get_settings()
    app = FastAPI(
        title="Mention monitor",
        summary="Review queue and JSON API of the mention monitor.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(verify_csrf), Depends(bounded_path_ids)],
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(FreezeAfterWarmupMiddleware)
    app.add_middleware(LanguageMiddleware)  # inside the session: reads the language it remembers
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(BodyLimitMiddleware)
    _add_swagger_files(app)  # before the /static mount, which would answer 404 for them
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.login_limiter = LoginLimiter()
    # export before review: /review/export.* must not be taken for /review/{mention_id}.
    for router in (
        auth.router,
        account.router,
        export.router,
        review.router,
        people.router,
        admin.router,
        manage.router,
        manage_people.router,
        api.router,
    ):
        app.include_router(router)
    app.include_router(digest_routes.router)
    app.include_router(spike_cards.router)
    app.include_router(ops_routes.router)
    for router in (
        permalinks.router,
        feeds.router,
        preferences.router,
        coverage.router,
        discover_routes.router,
        evidence_export.router,
        evidence.router,
    ):
        app.include_router(router)
    for router in (twofactor.router, twofactor_account.router):  # issue 20: second factors
        app.include_router(router)
    app.include_router(notify_admin.router)  # issue 21: alert channels
    _add_system_routes(app)
    app.add_exception_handler(LoginRequired, _login_required)
    errors.install(app)
    return app


def _login_required(request: Request, exc: LoginRequired) -> Response:
    if request.url.path.startswith(JSON_PATHS):
        return JSONResponse({"detail": "login required"}, status_code=401)
    if errors.wants_json(request):  # the page's own script: it says so, instead of following to /login
        return errors.login_required_json()
    return RedirectResponse("/login", status_code=303)


def _add_swagger_files(app: FastAPI) -> None:
    @app.get("/static/swagger/{name}", include_in_schema=False)
    def swagger_file(name: str) -> Response:
        """One of ``SWAGGER_FILES`` from the installed bundle; public, like all static files."""
        if name not in SWAGGER_FILES:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return FileResponse(SWAGGER_DIR / name, media_type=SWAGGER_FILES[name])


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
    def docs(request: Request, user: UserDep) -> Response:
        """Swagger UI from our own files, under the same CSP as every page."""
        return render(request, "docs.html", user=user)
