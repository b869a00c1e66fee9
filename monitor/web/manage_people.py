"""Admin forms for the watch list's people: add, rename, (de)activate, and their matching terms.

People and terms carry an ``origin``. "config" ones come from the TOML file and follow it on
every sync, so the web shows them read-only (change the file instead); "web" ones were added
here and survive syncs. An admin may add web terms (aliases, excludes, hashtags, handles,
context words) to any person, config people included. Every change is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from monitor import i18n
from monitor.core.config_file import PersonEntry
from monitor.core.models import Alias, Person, utcnow
from monitor.core.storage import groups
from monitor.review import triage
from monitor.web import menus
from monitor.web.deps import AdminDep, SessionDep, render
from monitor.web.overlap import find_overlap

# Term kinds an admin can add; "gender" stays a config matter.
TERM_KINDS = ("alias", "exclude", "hashtag", "handle", "context")

router = APIRouter(include_in_schema=False)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise HTTPException(status_code=404, detail=f"no person {person_id}")
    return person


def one_line(exc: ValidationError) -> str:
    """The first problem of a failed validation as "field: message"."""
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or 'entry'}: {first['msg'].removeprefix('Value error, ')}"


def _terms(session: Session, person_id: int) -> list[Alias]:
    return list(session.exec(select(Alias).where(Alias.person_id == person_id).order_by(Alias.kind, Alias.text)))


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
    rows = session.exec(select(Person).order_by(Person.name)).all()
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
        entry = PersonEntry(
            name=name,
            aliases=_lines(aliases),
            exclude=_lines(exclude),
            hashtags=_lines(hashtags),
            handles=_lines(handles),
        )
    except ValidationError as exc:
        return _people_page(request, session, user, error=one_line(exc), status=400, form=typed)
    if session.exec(select(Person).where(Person.name == entry.name)).first():
        return _people_page(
            request,
            session,
            user,
            error=i18n.gettext("name: %(name)s is already tracked") % {"name": repr(entry.name)},
            status=400,
            form=typed,
        )
    found = find_overlap(session, entry.all_names(), matcher=menus.menus(session).matcher)
    if found.refusal() or (found.warning() and not confirm):
        return _people_page(
            request, session, user, error=found.refusal(), warning=found.warning(), status=400, form=typed
        )
    person = Person(
        name=entry.name, active=True, origin="web", tracked_since=utcnow(), private=private == "true"
    )  # older posts: backfill
    session.add(person)
    session.flush()
    terms = {("alias", a) for a in entry.all_names()} | {("exclude", e) for e in entry.exclude}
    terms |= {("hashtag", h) for h in entry.hashtags} | {("handle", h) for h in entry.handles}
    session.add_all(Alias(person_id=person.id, kind=kind, text=text, origin="web") for kind, text in sorted(terms))
    triage.audit(
        session,
        user=user,
        action="person-add",
        target=f"person:{person.id}",
        before=None,
        after={"name": person.name, "private": person.private, "terms": sorted(f"{k}:{t}" for k, t in terms)},
    )
    session.commit()
    menus.forget()
    return RedirectResponse(f"/admin/people/{person.id}", status_code=303)


@router.get("/admin/people/{person_id}")
def person(request: Request, person_id: int, session: SessionDep, user: AdminDep) -> Response:
    """One person's name, state and terms, with the forms that may change them."""
    return _person_page(request, person_id, session, user)


def _person_page(
    request: Request, person_id: int, session: Session, user, *, error: str | None = None, status: int = 200
) -> Response:
    found = _person(session, person_id)
    return render(
        request,
        "admin_person.html",
        status_code=status,
        user=user,
        person=found,
        terms=_terms(session, person_id),
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
    found = _person(session, person_id)
    if found.origin != "web":
        raise HTTPException(status_code=409, detail="this person comes from the config file: edit it there")
    try:
        new_name = PersonEntry(name=name).name
    except ValidationError as exc:
        return _person_page(request, person_id, session, user, error=one_line(exc), status=400)
    clash = session.exec(select(Person).where(Person.name == new_name, Person.id != person_id)).first()
    if clash:
        return _person_page(
            request,
            person_id,
            session,
            user,
            error=i18n.gettext("name: %(name)s is already tracked") % {"name": repr(new_name)},
            status=400,
        )
    try:  # issue 20: comma-separated groups; absent from the form: unchanged
        wanted = None if group_names is None else groups.clean_names(group_names.split(","))
    except ValueError as exc:
        return _person_page(request, person_id, session, user, error=f"groups: {exc}", status=400)
    before = {"name": found.name, "active": found.active}
    if wanted is not None:
        before["groups"] = groups.person_groups(session, person_id)
    found.name, found.active = new_name, active
    session.add(found)
    after = {"name": found.name, "active": found.active}
    if wanted is not None:
        groups.set_person_groups(session, found, wanted, origin="web")
        after["groups"] = groups.person_groups(session, person_id)
    triage.audit(session, user=user, action="person-edit", target=f"person:{person_id}", before=before, after=after)
    session.commit()
    menus.forget()
    return RedirectResponse(f"/admin/people/{person_id}", status_code=303)


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
    _person(session, person_id)
    if kind not in TERM_KINDS:
        raise HTTPException(status_code=400, detail=f"kind: expected one of {', '.join(TERM_KINDS)}")
    field = {"alias": "aliases", "hashtag": "hashtags", "handle": "handles"}.get(kind, kind)
    try:
        [text] = getattr(PersonEntry(name="placeholder", **{field: [text]}), field)
    except ValidationError as exc:
        return _person_page(request, person_id, session, user, error=one_line(exc), status=400)
    exists = session.exec(
        select(Alias).where(Alias.person_id == person_id, Alias.kind == kind, Alias.text == text)
    ).first()
    if not exists:
        session.add(Alias(person_id=person_id, kind=kind, text=text, origin="web"))
        triage.audit(
            session,
            user=user,
            action="term-add",
            target=f"person:{person_id}",
            before=None,
            after={"kind": kind, "text": text},
        )
        session.commit()
        menus.forget()
    return RedirectResponse(f"/admin/people/{person_id}", status_code=303)


@router.post("/admin/people/{person_id}/terms/{term_id}/delete")
def delete_term(person_id: int, term_id: int, session: SessionDep, user: AdminDep) -> Response:
    """Remove a web-added term; config terms are removed from the file."""
    term = session.get(Alias, term_id)
    if term is None or term.person_id != person_id:
        raise HTTPException(status_code=404, detail=f"no term {term_id} of person {person_id}")
    if term.origin != "web":
        raise HTTPException(status_code=409, detail="this term comes from the config file: edit it there")
    triage.audit(
        session,
        user=user,
        action="term-remove",
        target=f"person:{person_id}",
        before={"kind": term.kind, "text": term.text},
        after=None,
    )
    session.delete(term)
    session.commit()
    menus.forget()
    return RedirectResponse(f"/admin/people/{person_id}", status_code=303)


@router.post("/admin/people/{person_id}/pause")
def pause_person(person_id: int, session: SessionDep, user: AdminDep, action: Annotated[str, Form()]) -> Response:
    """``pause`` (new posts are not matched against the person) or ``resume``; any person, config
    ones included: the pause is the web's own flag, which config syncs leave alone."""
    found = _person(session, person_id)
    if action not in ("pause", "resume"):
        raise HTTPException(status_code=400, detail="action: expected pause or resume")
    before = {"paused": found.paused_at is not None}
    found.paused_at = utcnow() if action == "pause" else None
    session.add(found)
    triage.audit(
        session,
        user=user,
        action=f"person-{action}",
        target=f"person:{person_id}",
        before=before,
        after={"paused": found.paused_at is not None},
    )
    session.commit()
    menus.forget()
    return RedirectResponse(f"/admin/people/{person_id}", status_code=303)
