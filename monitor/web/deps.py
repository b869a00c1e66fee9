"""Request dependencies: the database session, the logged-in user, and template rendering.

``SessionDep`` and ``UserDep`` are the ``Annotated`` aliases routes take. A request without a
valid session raises ``LoginRequired``; the app turns that into a redirect to ``/login`` for
pages and a 401 for the JSON API.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import jinja2
import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import make_url
from sqlmodel import Session

from monitor import i18n
from monitor.core.db import get_engine
from monitor.core.models import User
from monitor.core.settings import get_settings
from monitor.core.storage import sessions
from monitor.review import labels
from monitor.review.users import session_stamp
from monitor.text import clean_display
from monitor.web import words
from monitor.web.csrf import csrf_token
from monitor.web.i18n import request_language
from monitor.web.timezones import local_time, reader_zone

TEMPLATES_DIR = Path(__file__).parent / "templates"
SESSION_USER_KEY = "uid"
SESSION_STAMP_KEY = "pw"  # monitor.review.users.session_stamp at login: a password reset ends older sessions
SESSION_TOKEN_KEY = "sid"  # the token of the server-side record (monitor.core.storage.sessions)


class LoginRequired(Exception):
    """Raised by ``current_user`` when the request carries no valid, active session."""


# Pages run in a thread pool, many at once per process: the web's PostgreSQL pool keeps that
# many connections open. The shared engine's small pool with overflow closed a connection
# after nearly every page under load, and reconnecting cost more than the page.
WEB_POOL_SIZE = 20


@functools.lru_cache(maxsize=8)
def _web_engine(url: str) -> sa.Engine:
    if make_url(url).get_backend_name() != "postgresql":
        return get_engine(url)  # SQLite: the shared engine, with its WAL and busy-timeout set-up
    return sa.create_engine(url, pool_pre_ping=True, pool_size=WEB_POOL_SIZE, max_overflow=0)


def get_db() -> Iterator[Session]:
    """A session on ``MONITOR_DATABASE_URL``; routes that write commit explicitly."""
    with Session(_web_engine(get_settings().database_url), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def optional_user(request: Request, session: SessionDep) -> User | None:
    """The active user of this session, or None.

    The cookie must name a live server-side record (``monitor.core.storage.sessions``: not logged out,
    revoked or past its absolute lifetime) of an active user whose password has not changed
    since; otherwise the cookie is cleared. The record is kept in ``request.state.web_session``."""
    user_id = request.session.get(SESSION_USER_KEY)
    if user_id is None:
        return None
    record = sessions.find(session, request.session.get(SESSION_TOKEN_KEY))
    user = session.get(User, user_id) if record is not None and record.user_id == user_id else None
    if user is None or not user.active or request.session.get(SESSION_STAMP_KEY) != session_stamp(user):
        request.session.clear()
        return None
    request.state.web_session = record
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The logged-in user; raises ``LoginRequired`` when there is none."""
    if user is None:
        raise LoginRequired()
    return user


UserDep = Annotated[User, Depends(current_user)]


def admin_user(user: UserDep) -> User:
    """The logged-in user when an admin; 403 for reviewers (``LoginRequired`` without a session)."""
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="only admins can open this page")
    return user


AdminDep = Annotated[User, Depends(admin_user)]


def _format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _finalize(value: Any) -> Any:
    return clean_display(value) if isinstance(value, str) else value


def _make_templates() -> Jinja2Templates:
    # autoescape for every template, whatever its extension: feed text is hostile. finalize
    # removes bidi controls from every value a template prints, HTML built in Python included.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        finalize=_finalize,
        extensions=["jinja2.ext.i18n"],
    )
    # {{ _("…") }}, ngettext and {% trans %} in every template, in the language ``render`` chose.
    i18n.install(env)
    env.filters["ts"] = _format_time
    env.filters["when"] = local_time  # {{ t | when(tz) }}: the reader's zone, UTC on hover
    env.filters["kind_label"], env.filters["health"] = labels.kind_label, labels.health
    env.globals["script_words"] = words.script_words  # review.js's words, in the page's language
    return Jinja2Templates(env=env)


templates = _make_templates()


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` with the session's CSRF token available as ``csrf_token``, in the
    request's language (``monitor.web.i18n``), which the page's ``<html lang>`` names as ``lang``."""
    context.setdefault("user", None)
    context.setdefault("tz", reader_zone(context["user"]))
    context["csrf_token"] = csrf_token(request)
    with i18n.use(request_language(request, context["user"])) as language:
        context["lang"] = language
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Content-Language"] = language
    return response
