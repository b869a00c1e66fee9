"""Admin forms for sources, users and digest recipients.

The changes, the rules they keep ("config" rows follow the TOML file and are read-only here,
"web" rows survive syncs; no admin demotes or deactivates themselves) and their audit entries
are ``monitor.review.sources``, ``accounts`` and ``recipients``; here are the forms and pages.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from monitor.clock import utcnow
from monitor.core.storage.streams import summaries as stream_summaries
from monitor.ingest.schedule import is_silent
from monitor.review import accounts
from monitor.review import recipients as recipient_rows
from monitor.review import sources as source_rows
from monitor.review.errors import NeedsConfirmation, Refused
from monitor.review.users import MIN_PASSWORD_LENGTH, ROLES
from monitor.search.privacy import private_people_named
from monitor.sources import KINDS
from monitor.web import menus
from monitor.web.deps import AdminDep, SessionDep, render
from monitor.web.refusals import as_http, unless_form

router = APIRouter(include_in_schema=False)


def _done(session: Session, location: str) -> Response:
    session.commit()
    menus.forget()
    return RedirectResponse(location, status_code=303)


# Sources ---------------------------------------------------------------------------------


@router.get("/sources")
def sources(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Every source with its health (last success and error, items per poll, went silent) and the forms."""
    return _sources_page(request, session, user)


def _sources_page(
    request: Request,
    session: Session,
    user,
    *,
    error: str | None = None,
    status: int = 200,
    warning: str | None = None,
    form: dict | None = None,
    **discovered,
) -> Response:
    """The sources page; ``discovered`` (``found``, ``address``) are the feeds a "find feeds" search offers."""
    now = utcnow()
    rows = [(s, is_silent(s, now)) for s in source_rows.listed(session)]
    streams = stream_summaries(session, now=now)  # issue 17: mode, lag and counts of stream sources
    return render(
        request,
        "sources.html",
        status_code=status,
        user=user,
        rows=rows,
        kinds=KINDS,
        error=error,
        streams=streams,
        warning=warning,
        form=form or {},
        **discovered,
    )


@router.post("/admin/sources")
def add_source(
    request: Request,
    session: SessionDep,
    user: AdminDep,
    url: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "auto",
    name: Annotated[str, Form()] = "",
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Poll a new URL (origin "web"); a removed web source with that URL comes back.

    A Google News search naming a ``private`` person is held back with a warning until ``confirm``.
    """
    try:
        entry = source_rows.parse_entry(url=url, kind=kind, name=name)
        named = private_people_named(session, entry.url)  # issue 16
        source_rows.add_source(session, entry=entry, private_named=named, confirm=confirm, actor=user, now=utcnow())
    except NeedsConfirmation as exc:
        form = {"url": url, "kind": kind, "name": name}
        return _sources_page(request, session, user, warning=exc.warning, status=400, form=form)
    except Refused as exc:
        return _sources_page(request, session, user, error=exc.message, status=exc.status)
    return _done(session, "/sources")


@router.post("/admin/sources/{source_id}")
def change_source(source_id: int, session: SessionDep, user: AdminDep, action: Annotated[str, Form()]) -> Response:
    """``enable``, ``disable`` or ``remove`` a web-managed source."""
    try:
        source_rows.change_source(session, source_id=source_id, action=action, actor=user, now=utcnow())
    except Refused as exc:
        raise as_http(exc) from exc
    return _done(session, "/sources")


# Users -----------------------------------------------------------------------------------


@router.get("/admin/users")
def users(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Accounts and roles, with forms to add, change role, (de)activate and reset a password."""
    return _users_page(request, session, user)


def _users_page(request: Request, session: Session, user, *, error: str | None = None, status: int = 200) -> Response:
    rows = accounts.everyone(session)
    return render(
        request,
        "users.html",
        status_code=status,
        user=user,
        rows=rows,
        roles=ROLES,
        error=error,
        min_password=MIN_PASSWORD_LENGTH,
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    session: SessionDep,
    user: AdminDep,
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    """Create an account with a role and an initial password."""
    try:
        accounts.create_account(session, email=email, role=role, password=password, actor=user, now=utcnow())
    except Refused as exc:
        return _users_page(request, session, user, error=exc.message, status=400)
    return _done(session, "/admin/users")


@router.post("/admin/users/{user_id}")
def change_user(
    request: Request,
    user_id: int,
    session: SessionDep,
    user: AdminDep,
    action: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """``role`` (to ``role``), ``deactivate``, ``activate`` or ``password`` (reset to ``password``,
    which also ends that user's sessions)."""
    try:
        accounts.change_account(session, user_id=user_id, action=action, role=role, password=password, actor=user)
    except Refused as exc:
        unless_form(exc)
        return _users_page(request, session, user, error=exc.message, status=400)
    return _done(session, "/admin/users")


# Digest recipients -----------------------------------------------------------------------


@router.get("/admin/recipients")
def recipients(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Who receives the daily digest, for which people and in which timezone."""
    return _recipients_page(request, session, user)


def _recipients_page(
    request: Request, session: Session, user, *, error: str | None = None, status: int = 200
) -> Response:
    rows = recipient_rows.everyone(session)
    names = recipient_rows.active_people_names(session)
    return render(request, "recipients.html", status_code=status, user=user, rows=rows, names=names, error=error)


@router.post("/admin/recipients")
def add_recipient(
    request: Request,
    session: SessionDep,
    user: AdminDep,
    email: Annotated[str, Form()],
    timezone: Annotated[str, Form()] = "",
    people: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Send the digest to ``email`` (origin "web"), for ``people`` only when given."""
    try:
        recipient_rows.add_recipient(session, email=email, timezone=timezone, people=people, actor=user)
    except Refused as exc:
        return _recipients_page(request, session, user, error=exc.message, status=400)
    return _done(session, "/admin/recipients")


@router.post("/admin/recipients/{recipient_id}/delete")
def remove_recipient(recipient_id: int, session: SessionDep, user: AdminDep) -> Response:
    """Stop a web-added recipient's digests (the row stays: past deliveries refer to it)."""
    try:
        recipient_rows.remove_recipient(session, recipient_id=recipient_id, actor=user)
    except Refused as exc:
        raise as_http(exc) from exc
    return _done(session, "/admin/recipients")
