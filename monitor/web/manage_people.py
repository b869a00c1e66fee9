"""Admin forms for the watch list's people: add, rename, (de)activate, and their matching terms.

The changes, their rules (config people and terms are read-only here; web terms may be added
to anyone; a name that is a tracked person's is refused, one that looks like it needs
"add anyway") and their audit entries are ``monitor.review.people``; here are the forms.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from monitor import i18n
from monitor.clock import utcnow
from monitor.core.storage import groups
from monitor.review import people as people_rows
from monitor.review.errors import Refused
from monitor.review.people import TERM_KINDS
from monitor.web import menus
from monitor.web.deps import AdminDep, SessionDep, render
from monitor.web.refusals import as_http, unless_form

router = APIRouter(include_in_schema=False)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _to_person(session: Session, person_id: int) -> Response:
    session.commit()
    menus.forget()
    return RedirectResponse(f"/admin/people/{person_id}", status_code=303)


@router.get("/admin/people")
def people(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Every person with where it is managed, and the form to add one."""
    return _people_page(request, session, user)


def _people_page(
    request: Request,
    session: Session,
    user,
    *,
    error: str | None = None,
    status: int = 200,
    form: dict | None = None,
    warning: str | None = None,
) -> Response:
    rows = people_rows.everyone(session)
    return render(
        request,
        "admin_people.html",
        status_code=status,
        user=user,
        rows=rows,
        error=error,
        kinds=TERM_KINDS,
        form=form or {},
        warning=warning,
    )


@router.post("/admin/people")
def add_person(
    request: Request,
    session: SessionDep,
    user: AdminDep,
    name: Annotated[str, Form()],
    aliases: Annotated[str, Form()] = "",
    exclude: Annotated[str, Form()] = "",
    hashtags: Annotated[str, Form()] = "",
    handles: Annotated[str, Form()] = "",
    confirm: Annotated[bool, Form()] = False,
    private: Annotated[str, Form()] = "",
) -> Response:
    """Track a new person (origin "web") with their aliases, excludes, hashtags and handles.

    Refused when a name equals a tracked person's name or alias; held back with a warning when
    one looks like a tracked person, until the admin ticks ``confirm``. The form keeps what was typed.
    """
    typed = {
        "name": name,
        "aliases": aliases,
        "exclude": exclude,
        "hashtags": hashtags,
        "handles": handles,
        "private": private,
    }
    # Issue 16: the form asks (a required choice); a post without it (scripts, older forms) keeps the old default.
    if private not in ("", "true", "false"):
        return _people_page(
            request, session, user, error=i18n.gettext("private: expected true or false"), status=400, form=typed
        )
    try:
        person = people_rows.add_person(
            session,
            name=name,
            aliases=_lines(aliases),
            exclude=_lines(exclude),
            hashtags=_lines(hashtags),
            handles=_lines(handles),
            private=private == "true",
            confirm=confirm,
            matcher=menus.menus(session).matcher,
            actor=user,
            now=utcnow(),
        )
    except Refused as exc:
        return _people_page(request, session, user, error=exc.message, warning=exc.warning, status=400, form=typed)
    return _to_person(session, person.id)


@router.get("/admin/people/{person_id}")
def person(request: Request, person_id: int, session: SessionDep, user: AdminDep) -> Response:
    """One person's name, state and terms, with the forms that may change them."""
    return _person_page(request, person_id, session, user)


def _person_page(
    request: Request, person_id: int, session: Session, user, *, error: str | None = None, status: int = 200
) -> Response:
    try:
        found = people_rows.get(session, person_id)
    except Refused as exc:
        raise as_http(exc) from exc
    return render(
        request,
        "admin_person.html",
        status_code=status,
        user=user,
        person=found,
        terms=people_rows.terms(session, person_id),
        kinds=TERM_KINDS,
        error=error,
        groups=groups.person_groups(session, person_id),
    )


@router.post("/admin/people/{person_id}")
def update_person(
    request: Request,
    person_id: int,
    session: SessionDep,
    user: AdminDep,
    name: Annotated[str, Form()],
    active: Annotated[bool, Form()] = False,
    group_names: Annotated[str | None, Form(alias="groups")] = None,
) -> Response:
    """Rename or (de)activate a web-managed person; config people change in the file only."""
    try:
        people_rows.update_person(
            session, person_id=person_id, name=name, active=active, group_names=group_names, actor=user
        )
    except Refused as exc:
        unless_form(exc)
        return _person_page(request, person_id, session, user, error=exc.message, status=400)
    return _to_person(session, person_id)


@router.post("/admin/people/{person_id}/terms")
def add_term(
    request: Request,
    person_id: int,
    session: SessionDep,
    user: AdminDep,
    kind: Annotated[str, Form()],
    text: Annotated[str, Form()],
) -> Response:
    """Add one term (alias, exclude, hashtag, handle or context word) to any person."""
    try:
        added = people_rows.add_term(session, person_id=person_id, kind=kind, text=text, actor=user)
    except Refused as exc:
        unless_form(exc)
        return _person_page(request, person_id, session, user, error=exc.message, status=400)
    if added:
        return _to_person(session, person_id)
    return RedirectResponse(f"/admin/people/{person_id}", status_code=303)


@router.post("/admin/people/{person_id}/terms/{term_id}/delete")
def delete_term(person_id: int, term_id: int, session: SessionDep, user: AdminDep) -> Response:
    """Remove a web-added term; config terms are removed from the file."""
    try:
        people_rows.delete_term(session, person_id=person_id, term_id=term_id, actor=user)
    except Refused as exc:
        raise as_http(exc) from exc
    return _to_person(session, person_id)


@router.post("/admin/people/{person_id}/pause")
def pause_person(person_id: int, session: SessionDep, user: AdminDep, action: Annotated[str, Form()]) -> Response:
    """``pause`` (new posts are not matched against the person) or ``resume``; any person, config
    ones included: the pause is the web's own flag, which config syncs leave alone."""
    try:
        people_rows.pause_person(session, person_id=person_id, action=action, actor=user, now=utcnow())
    except Refused as exc:
        raise as_http(exc) from exc
    return _to_person(session, person_id)
