"""Admin pages: the audit log and exclusion suggestions from "false match" labels.

The forms for people (``manage_people``), sources, users and recipients (``manage``) live apart.

Every route here takes ``AdminDep``: reviewers get 403, visitors without a session the login.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from monitor.core.models import Alias, AuditEntry, ExclusionSuggestion, Person, User, utcnow
from monitor.review import triage
from monitor.web.deps import AdminDep, SessionDep, render

AUDIT_PAGE = 200

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_log(request: Request, session: SessionDep, user: AdminDep, target: str | None = None) -> Response:
    """The latest ``AUDIT_PAGE`` audit entries (optionally for one ``target``), newest first."""
    statement = select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.user_id)
    if target:
        statement = statement.where(AuditEntry.target == target)
    rows = session.exec(statement.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)).all()
    return render(request, "audit.html", user=user, rows=rows, target=target)


@router.get("/admin/exclusions")
def exclusions(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Pending exclusion suggestions with the person they would apply to."""
    rows = session.exec(
        select(ExclusionSuggestion, Person.name)
        .join(Person, Person.id == ExclusionSuggestion.person_id)
        .where(ExclusionSuggestion.status == "pending")
        .order_by(ExclusionSuggestion.id)
    ).all()
    return render(request, "exclusions.html", user=user, rows=rows)


@router.post("/admin/exclusions/{suggestion_id}")
def decide_exclusion(
    suggestion_id: int,
    session: SessionDep,
    user: AdminDep,
    decision: Annotated[str, Form()],
    phrase: Annotated[str | None, Form()] = None,
) -> Response:
    """Accept (adding the phrase, possibly edited, as the person's exclude) or reject; audited."""
    if decision not in ("accept", "reject"):
        raise HTTPException(status_code=400, detail="decision: expected accept or reject")
    row = session.get(ExclusionSuggestion, suggestion_id)
    if row is None or row.status != "pending":
        raise HTTPException(status_code=404, detail=f"no pending suggestion {suggestion_id}")
    before = {"status": row.status, "phrase": row.phrase}
    row.phrase = (phrase or row.phrase).strip() or row.phrase
    row.status, row.decided_by, row.decided_at = ("accepted" if decision == "accept" else "rejected"), user.id, utcnow()
    if (
        decision == "accept"
        and not session.exec(
            select(Alias).where(Alias.person_id == row.person_id, Alias.kind == "exclude", Alias.text == row.phrase)
        ).first()
    ):
        session.add(Alias(person_id=row.person_id, kind="exclude", text=row.phrase, origin="web"))  # survives syncs
    session.add(row)
    triage.audit(
        session,
        user=user,
        action=f"exclusion-{decision}",
        target=f"exclusion:{row.id}",
        before=before,
        after={"status": row.status, "phrase": row.phrase},
    )
    session.commit()
    return RedirectResponse("/admin/exclusions", status_code=303)
