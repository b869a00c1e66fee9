"""Admin pages: the audit log and exclusion suggestions from "false match" labels.

The forms for people (``manage_people``), sources, users and recipients (``manage``) live apart.

Every route here takes ``AdminDep``: reviewers get 403, visitors without a session the login.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from monitor.clock import utcnow
from monitor.review import exclusions as suggestions
from monitor.review import triage
from monitor.review.errors import Refused
from monitor.web.deps import AdminDep, SessionDep, render
from monitor.web.refusals import as_http

AUDIT_PAGE = 200

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_log(request: Request, session: SessionDep, user: AdminDep, target: str | None = None) -> Response:
    """The latest ``AUDIT_PAGE`` audit entries (optionally for one ``target``), newest first."""
    rows = triage.recent_audit(session, target=target, limit=AUDIT_PAGE)
    return render(request, "audit.html", user=user, rows=rows, target=target)


@router.get("/admin/exclusions")
def exclusions(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Pending exclusion suggestions with the person they would apply to."""
    return render(request, "exclusions.html", user=user, rows=suggestions.pending(session))


@router.post("/admin/exclusions/{suggestion_id}")
def decide_exclusion(
    suggestion_id: int,
    session: SessionDep,
    user: AdminDep,
    decision: Annotated[str, Form()],
    phrase: Annotated[str | None, Form()] = None,
) -> Response:
    """Accept (adding the phrase, possibly edited, as the person's exclude) or reject; audited."""
    try:
        suggestions.decide(
            session, suggestion_id=suggestion_id, decision=decision, phrase=phrase, actor=user, now=utcnow()
        )
    except Refused as exc:
        raise as_http(exc) from exc
    session.commit()
    return RedirectResponse("/admin/exclusions", status_code=303)
