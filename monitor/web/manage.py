"""Admin forms for sources, users and digest recipients; each change is audited.

Sources and recipients carry an ``origin``: "config" rows follow the TOML file on every sync
and are read-only here; "web" rows were added here and survive syncs. A removed source keeps
its mentions (they are evidence): it is disabled and hidden, and adding its URL again
brings it back. Users live only in the database; an admin cannot demote or deactivate
themselves, so the last admin cannot lock everybody out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from monitor import i18n
from monitor.core.config_file import RecipientEntry, SourceEntry
from monitor.core.models import Person, Recipient, Source, User, utcnow
from monitor.core.storage import sessions
from monitor.core.storage.streams import summaries as stream_summaries
from monitor.ingest.schedule import is_silent
from monitor.review import triage
from monitor.review.users import MIN_PASSWORD_LENGTH, ROLES, hash_password, normalise_email, password_problem
from monitor.search.privacy import private_people_named
from monitor.sources import KINDS
from monitor.web import menus
from monitor.web.deps import AdminDep, SessionDep, render
from monitor.web.manage_people import one_line

router = APIRouter(include_in_schema=False)


def _get(session: Session, model, row_id: int, what: str):
    row = session.get(model, row_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no {what} {row_id}")
    return row


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
    listed = session.exec(select(Source).where(Source.removed_at.is_(None)).order_by(Source.name, Source.id))
    rows = [(s, is_silent(s, now)) for s in listed]
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
        entry = SourceEntry(url=url, kind=kind, name=name.strip() or None)
    except ValidationError as exc:
        return _sources_page(request, session, user, error=one_line(exc), status=400)
    named = private_people_named(session, entry.url)  # issue 16
    if named and not confirm:
        warning = i18n.gettext("This search sends the name of %(names)s (marked private) to Google. Add it anyway?") % {
            "names": ", ".join(named)
        }
        return _sources_page(
            request, session, user, warning=warning, status=400, form={"url": url, "kind": kind, "name": name}
        )
    row = session.exec(select(Source).where(Source.url == entry.url)).first()
    if row is not None and row.removed_at is None:
        return _sources_page(
            request,
            session,
            user,
            error=i18n.gettext("url: %(url)s is already a source") % {"url": entry.url},
            status=400,
        )
    before = None if row is None else {"removed": True}
    row = row or Source(url=entry.url, origin="web")
    row.name, row.kind, row.enabled, row.removed_at = entry.name or entry.url, entry.kind, True, None
    row.next_poll_at = utcnow()  # poll it at the next dispatch
    session.add(row)
    session.flush()
    triage.audit(
        session,
        user=user,
        action="source-add",
        target=f"source:{row.id}",
        before=before,
        after={"url": row.url, "kind": row.kind, "name": row.name},
    )
    return _done(session, "/sources")


@router.post("/admin/sources/{source_id}")
def change_source(source_id: int, session: SessionDep, user: AdminDep, action: Annotated[str, Form()]) -> Response:
    """``enable``, ``disable`` or ``remove`` a web-managed source."""
    row = _get(session, Source, source_id, "source")
    if row.origin != "web":
        raise HTTPException(status_code=409, detail="this source comes from the config file: edit it there")
    if action not in ("enable", "disable", "remove"):
        raise HTTPException(status_code=400, detail="action: expected enable, disable or remove")
    before = {"enabled": row.enabled, "removed": row.removed_at is not None}
    row.enabled = action == "enable"
    row.removed_at = utcnow() if action == "remove" else None
    session.add(row)
    triage.audit(
        session,
        user=user,
        action=f"source-{action}",
        target=f"source:{row.id}",
        before=before,
        after={"enabled": row.enabled, "removed": row.removed_at is not None},
    )
    return _done(session, "/sources")


# Users -----------------------------------------------------------------------------------


@router.get("/admin/users")
def users(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Accounts and roles, with forms to add, change role, (de)activate and reset a password."""
    return _users_page(request, session, user)


def _users_page(request: Request, session: Session, user, *, error: str | None = None, status: int = 200) -> Response:
    rows = session.exec(select(User).order_by(User.email)).all()
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
    email = normalise_email(email)
    problem = _account_problem(email=email, role=role, password=password)
    if not problem and session.exec(select(User).where(User.email == email)).first():
        problem = f"email: {email} already has an account"
    if problem:
        return _users_page(request, session, user, error=problem, status=400)
    row = User(email=email, role=role, password_hash=hash_password(password), active=True, created_at=utcnow())
    session.add(row)
    session.flush()
    triage.audit(
        session,
        user=user,
        action="user-add",
        target=f"user:{row.id}",
        before=None,
        after={"email": email, "role": role},
    )
    return _done(session, "/admin/users")


def _account_problem(*, email: str, role: str, password: str | None) -> str | None:
    if "@" not in email.strip("@"):
        return i18n.gettext("email: %(email)s is not an email address") % {"email": repr(email)}
    if role not in ROLES:
        return f"role: expected one of {', '.join(ROLES)}"
    if password is not None and (problem := password_problem(password)):
        return problem
    return None


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
    row = _get(session, User, user_id, "user")
    if action not in ("role", "deactivate", "activate", "password"):
        raise HTTPException(status_code=400, detail="action: expected role, deactivate, activate or password")
    if row.id == user.id and action in ("role", "deactivate"):
        return _users_page(
            request, session, user, error=i18n.gettext("you cannot demote or deactivate yourself"), status=400
        )
    problem = _account_problem(
        email=row.email,
        role=role if action == "role" else row.role,
        password=password if action == "password" else None,
    )
    if problem:
        return _users_page(request, session, user, error=problem, status=400)
    before = {"role": row.role, "active": row.active}
    if action == "role":
        row.role = role
    elif action == "password":
        row.password_hash = hash_password(password)
    else:
        row.active = action == "activate"
    session.add(row)
    after = {"role": row.role, "active": row.active} | ({"password": "reset"} if action == "password" else {})
    triage.audit(session, user=user, action=f"user-{action}", target=f"user:{row.id}", before=before, after=after)
    if action in ("password", "deactivate"):  # a reset or a deactivation signs the user out everywhere
        sessions.end_all(session, user_id=row.id)
    return _done(session, "/admin/users")


# Digest recipients -----------------------------------------------------------------------


@router.get("/admin/recipients")
def recipients(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Who receives the daily digest, for which people and in which timezone."""
    return _recipients_page(request, session, user)


def _recipients_page(
    request: Request, session: Session, user, *, error: str | None = None, status: int = 200
) -> Response:
    rows = session.exec(select(Recipient).order_by(Recipient.email)).all()
    names = session.exec(select(Person.name).where(Person.active == True).order_by(Person.name)).all()  # noqa: E712
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
        entry = RecipientEntry(
            email=email, timezone=timezone.strip() or None, people=sorted(set(people)) if people else None
        )
    except ValidationError as exc:
        return _recipients_page(request, session, user, error=one_line(exc), status=400)
    known = set(session.exec(select(Person.name)))
    unknown = sorted(set(entry.people or []) - known)
    row = session.exec(select(Recipient).where(Recipient.email == entry.email)).first()
    if unknown or (row is not None and row.active):
        problem = (
            f"people: unknown person {unknown[0]!r}" if unknown else f"email: {entry.email} already receives the digest"
        )
        return _recipients_page(request, session, user, error=problem, status=400)
    row = row or Recipient(email=entry.email, origin="web")
    row.people, row.timezone, row.active, row.unsubscribed_at = entry.people, entry.timezone, True, None
    session.add(row)
    session.flush()
    triage.audit(
        session,
        user=user,
        action="recipient-add",
        target=f"recipient:{row.id}",
        before=None,
        after={"email": row.email, "timezone": row.timezone, "people": row.people},
    )
    return _done(session, "/admin/recipients")


@router.post("/admin/recipients/{recipient_id}/delete")
def remove_recipient(recipient_id: int, session: SessionDep, user: AdminDep) -> Response:
    """Stop a web-added recipient's digests (the row stays: past deliveries refer to it)."""
    row = _get(session, Recipient, recipient_id, "recipient")
    if row.origin != "web":
        raise HTTPException(status_code=409, detail="this recipient comes from the config file: edit it there")
    triage.audit(
        session,
        user=user,
        action="recipient-remove",
        target=f"recipient:{row.id}",
        before={"email": row.email, "active": row.active},
        after={"active": False},
    )
    row.active = False
    session.add(row)
    return _done(session, "/admin/recipients")
