"""Admin page for alert channels (issue 21): Apprise URLs entered here, stored sealed.

The URL is checked by Apprise, sealed with the secret key (``monitor.notify.channels.sealing``)
and never shown again: the page lists each channel's name, service and people only, and the
audit log records the same. Channels from the config (``env:NAME`` on a recipient) are listed
by reference, read-only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from monitor.core.models import Person, Recipient, utcnow
from monitor.core.models_notify import NotifyChannel
from monitor.core.settings import get_settings
from monitor.notify.channels import ChannelError, sealing
from monitor.notify.channels.send import service_of
from monitor.review import triage
from monitor.web.deps import AdminDep, SessionDep, render

router = APIRouter(include_in_schema=False)
MAX_URL = 2000
MAX_NAME = 100


@router.get("/admin/channels")
def channels(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """The alert channels: stored ones (name, service, people) and the config's references."""
    return _page(request, session, user)


def _page(request: Request, session: Session, user, *, error: str | None = None, status: int = 200) -> Response:
    stored = session.exec(select(NotifyChannel).where(NotifyChannel.active == True).order_by(NotifyChannel.name)).all()
    configured = [
        (r.email, ref)
        for r in session.exec(select(Recipient).where(Recipient.active == True).order_by(Recipient.email))
        for ref in r.notify or []
    ]
    names = session.exec(select(Person.name).where(Person.active == True).order_by(Person.name)).all()
    return render(
        request,
        "notify_channels.html",
        status_code=status,
        user=user,
        rows=stored,
        configured=configured,
        names=names,
        error=error,
    )


@router.post("/admin/channels")
def add_channel(
    request: Request,
    session: SessionDep,
    user: AdminDep,
    name: Annotated[str, Form()],
    url: Annotated[str, Form()],
    people: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Store an Apprise URL, sealed, for the alerts of ``people`` (everybody when none)."""
    name, url = " ".join(name.split())[:MAX_NAME], url.strip()
    problem = None
    if not name or not url or len(url) > MAX_URL:
        problem = "name and URL are both needed (the URL at most 2000 characters)"
    elif session.exec(select(NotifyChannel).where(NotifyChannel.name == name)).first():
        problem = f"a channel named {name!r} exists already"
    elif set(people or []) - set(session.exec(select(Person.name))):
        problem = "people: unknown person"
    if problem is None:
        try:
            service = service_of(url)
        except ChannelError as exc:
            problem = str(exc)
    if problem:
        return _page(request, session, user, error=problem, status=400)
    row = NotifyChannel(
        name=name,
        url_sealed=sealing.seal(url, get_settings().resolved_secret_key()),
        service=service[:32],
        people=sorted(set(people)) if people else None,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    triage.audit(
        session,
        user=user,
        action="channel-add",
        target=f"channel:{row.id}",
        before=None,
        after={"name": row.name, "service": row.service, "people": row.people},
    )
    session.commit()
    return RedirectResponse("/admin/channels", status_code=303)


@router.post("/admin/channels/{channel_id}/delete")
def remove_channel(channel_id: int, session: SessionDep, user: AdminDep) -> Response:
    """Stop a channel and forget its URL (the row stays: its past alerts refer to it)."""
    row = session.get(NotifyChannel, channel_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no channel {channel_id}")
    triage.audit(
        session,
        user=user,
        action="channel-remove",
        target=f"channel:{row.id}",
        before={"name": row.name, "active": row.active},
        after={"active": False},
    )
    row.active, row.url_sealed = False, ""
    session.add(row)
    session.commit()
    return RedirectResponse("/admin/channels", status_code=303)
