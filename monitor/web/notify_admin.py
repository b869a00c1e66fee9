"""Admin page for alert channels (issue 21): Apprise URLs entered here, stored sealed.

The URL is checked by Apprise, sealed with the secret key (``monitor.notify.channels.sealing``)
and never shown again: the page lists each channel's name, service and people only, and the
audit log records the same. Channels from the config (``env:NAME`` on a recipient) are listed
by reference, read-only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from monitor.clock import utcnow
from monitor.core.settings import get_settings
from monitor.notify.channels import ChannelError, sealing
from monitor.notify.channels.send import service_of
from monitor.review import channels as channel_rows
from monitor.review.errors import Refused
from monitor.review.recipients import active_people_names
from monitor.web.deps import AdminDep, SessionDep, render
from monitor.web.refusals import as_http

router = APIRouter(include_in_schema=False)


@router.get("/admin/channels")
def channels(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """The alert channels: stored ones (name, service, people) and the config's references."""
    return _page(request, session, user)


def _page(request: Request, session: Session, user, *, error: str | None = None, status: int = 200) -> Response:
    stored = channel_rows.active(session)
    configured = channel_rows.configured(session)
    names = active_people_names(session)
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
    name, url = channel_rows.cleaned(name=name, url=url)
    try:
        channel_rows.check_new(session, name=name, url=url, people=people)
        service = service_of(url)
    except (Refused, ChannelError) as exc:
        return _page(request, session, user, error=str(exc), status=400)
    sealed = sealing.seal(url, get_settings().resolved_secret_key())
    channel_rows.add_channel(
        session, name=name, url_sealed=sealed, service=service, people=people, actor=user, now=utcnow()
    )
    session.commit()
    return RedirectResponse("/admin/channels", status_code=303)


@router.post("/admin/channels/{channel_id}/delete")
def remove_channel(channel_id: int, session: SessionDep, user: AdminDep) -> Response:
    """Stop a channel and forget its URL (the row stays: its past alerts refer to it)."""
    try:
        channel_rows.remove_channel(session, channel_id=channel_id, actor=user)
    except Refused as exc:
        raise as_http(exc) from exc
    session.commit()
    return RedirectResponse("/admin/channels", status_code=303)
