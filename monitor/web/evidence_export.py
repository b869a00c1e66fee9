"""The person page's "Export evidence" button (admins): the bundle of ``monitor evidence export``
as a download, audited, and an "exported" custody event like the command's."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from monitor.core.models import Person
from monitor.core.settings import get_settings
from monitor.review import triage
from monitor.web.deps import AdminDep, SessionDep

router = APIRouter(include_in_schema=False)


@router.post("/admin/people/{person_id}/evidence")
def export_evidence(person_id: int, session: SessionDep, user: AdminDep) -> FileResponse:
    """Build the person's bundle and send it; 404 for no such person, 409 when nothing is captured."""
    from monitor.evidence.export import ExportError, export_bundle

    person = session.get(Person, person_id)
    if person is None:
        raise HTTPException(status_code=404, detail="no such person")
    folder = Path(tempfile.mkdtemp(prefix="monitor-web-export-"))
    out = folder / f"evidence-person-{person_id}.zip"
    try:
        result = export_bundle(session, get_settings(), person=person.name, out=out, actor=f"user:{user.id}")
    except ExportError as exc:
        _remove(folder)
        raise HTTPException(status_code=409, detail=str(exc)) from None
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    triage.audit(
        session,
        user=user,
        action="evidence-export",
        target=f"person:{person_id}",
        before=None,
        after={"mentions": result.mentions, "captures": result.captures, "sha256": digest},
    )
    session.commit()
    return FileResponse(
        out, media_type="application/zip", filename=out.name, background=BackgroundTask(_remove, folder)
    )


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
