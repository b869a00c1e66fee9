"""Digest pages: the admin preview, the one-click unsubscribe, and users' own subscriptions.

``GET /digest/preview?date=YYYY-MM-DD[&recipient=EMAIL]`` (admins) shows the HTML digest as it
would be mailed. ``/digest/unsubscribe?token=…`` needs no session: the signed token from the
``List-Unsubscribe`` header is the authority, and a POST to it (RFC 8058 one-click, exempt
from CSRF) ends that recipient's digests. ``POST /digest/subscription`` lets a logged-in user
start or stop their own digest, optionally for some people only.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from monitor.config import get_settings
from monitor.digest import DigestBuilder, links, read_unsubscribe_token, yesterday, zone_of
from monitor.mail import render_email
from monitor.models import Person, Recipient, utcnow
from monitor.watchlist import ConfigError, DigestEntry, load_watchlist
from monitor.web.deps import SessionDep, UserDep

router = APIRouter(prefix="/digest", include_in_schema=False)


def _digest_entry() -> DigestEntry:
    try:
        return load_watchlist(get_settings().config).digest
    except ConfigError:
        return DigestEntry()


@router.get("/preview")
def preview(
    session: SessionDep, user: UserDep,
    day: Annotated[date | None, Query(alias="date")] = None,
    recipient: Annotated[str | None, Query()] = None,
) -> Response:
    """The digest of ``date`` (default yesterday) for ``recipient`` (default: everyone tracked)."""
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="only admins can preview the digest")
    entry = _digest_entry()
    row = session.exec(select(Recipient).where(Recipient.email == recipient)).first() if recipient else None
    if recipient and row is None:
        raise HTTPException(status_code=404, detail=f"no recipient {recipient!r}")
    zone = zone_of(row, entry) if row else entry.zone
    day = day or yesterday(zone, utcnow())
    content = DigestBuilder(session).build(
        email=row.email if row else "preview", people=row.people if row else None, day=day, zone=zone
    )
    _, _, body = render_email("digest", digest=links(content, recipient_id=None))
    return HTMLResponse(body)


@router.get("/unsubscribe")
def unsubscribe_page(token: str = "") -> Response:
    """A confirmation button, so that link scanners following the URL unsubscribe nobody."""
    if read_unsubscribe_token(token) is None:
        return _page("This unsubscribe link is not valid.", status_code=400)
    action = html.escape(f"/digest/unsubscribe?token={token}", quote=True)
    form = f'<form method="post" action="{action}"><button type="submit">Stop my daily digest</button></form>'
    return _page("Stop receiving the daily mentions digest?" + form)


@router.post("/unsubscribe")
def unsubscribe(session: SessionDep, token: str = "") -> Response:
    """One-click unsubscribe (RFC 8058): the signed token names the recipient; idempotent."""
    found = read_unsubscribe_token(token)
    if found is None:
        return _page("This unsubscribe link is not valid.", status_code=400)
    recipient_id, email = found
    session.execute(
        sa.update(Recipient)
        .where(Recipient.id == recipient_id, Recipient.email == email, Recipient.unsubscribed_at == None)  # noqa: E711
        .values(unsubscribed_at=utcnow())
    )
    session.commit()
    return _page("You are unsubscribed: no more daily digests will be sent to this address.")


@router.post("/subscription")
def subscription(
    session: SessionDep, user: UserDep,
    subscribe: Annotated[bool, Form()] = True,
    people: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Start (optionally for ``people`` only) or stop the logged-in user's own digest."""
    known = set(session.exec(select(Person.name).where(Person.active == True)))  # noqa: E712
    unknown = sorted(set(people or []) - known)
    if unknown:
        raise HTTPException(status_code=400, detail=f"unknown person {unknown[0]!r}")
    row = session.exec(select(Recipient).where(Recipient.email == user.email)).first()
    if row is None:
        row = Recipient(email=user.email, origin="web")
    if row.origin == "web":
        row.people, row.active = (sorted(set(people)) if people else None), True
    row.unsubscribed_at = None if subscribe else utcnow()
    session.add(row)
    session.commit()
    return RedirectResponse("/review", status_code=303)


def _page(body: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Digest</title></head>'
        f"<body><main><p>{body}</p></main></body></html>",
        status_code=status_code,
    )
