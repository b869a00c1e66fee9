"""Digest pages: the admin preview, the one-click unsubscribe, and users' own subscriptions.

``GET /digest/preview?date=YYYY-MM-DD[&recipient=EMAIL]`` (admins) is a page with the HTML digest
as it would be mailed in a sandboxed frame (``/digest/preview/email``): the email's inline
styles need a CSP of their own, which allows them and nothing else (no script, no request
out), while the page around it keeps the site's. ``/digest/unsubscribe?token=…`` needs no session: the signed token from the
``List-Unsubscribe`` header is the authority, and a POST to it (RFC 8058 one-click, exempt
from CSRF) ends that recipient's digests. ``POST /digest/subscription`` lets a logged-in user
start or stop their own digest, optionally for some people only.
"""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor import i18n
from monitor.clock import utcnow
from monitor.core.config_file import ConfigError, DigestEntry, load_watchlist
from monitor.core.settings import get_settings
from monitor.notify.digest import DigestBuilder, links, read_unsubscribe_token, yesterday, zone_of
from monitor.notify.mail import render_email
from monitor.review import recipients as recipient_rows
from monitor.review.errors import Refused
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.headers import CONTENT_SECURITY_POLICY
from monitor.web.i18n import request_language
from monitor.web.limits import PlausibleDate
from monitor.web.refusals import as_http

router = APIRouter(prefix="/digest", include_in_schema=False)


def _digest_entry() -> DigestEntry:
    try:
        return load_watchlist(get_settings().config).digest
    except ConfigError:
        return DigestEntry()


# The email's own policy: its inline styles and data: images, nothing else; framed by our
# pages only, and a sandbox (no script, no form, an opaque origin) even when opened directly.
EMAIL_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


@router.get("/preview")
def preview(
    request: Request,
    session: SessionDep,
    user: UserDep,
    day: Annotated[PlausibleDate | None, Query(alias="date")] = None,
    recipient: Annotated[str | None, Query()] = None,
) -> Response:
    """The preview page: a day and recipient to choose, and the digest in a sandboxed frame."""
    row, zone = _recipient_and_zone(session, user, recipient)
    day = day or yesterday(zone, utcnow())
    recipients = recipient_rows.active_emails(session)
    frame = "/digest/preview/email?" + urlencode({"date": day.isoformat(), **({"recipient": recipient} if row else {})})
    page = render(
        request,
        "digest_preview.html",
        user=user,
        day=day,
        recipient=row.email if row else "",
        recipients=recipients,
        frame=frame,
        zone=zone.key,
    )
    # The site's policy, plus the one thing this page does that others do not: frame our email.
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY + "; frame-src 'self'"
    return page


@router.get("/preview/email")
def preview_email(
    request: Request,
    session: SessionDep,
    user: UserDep,
    day: Annotated[PlausibleDate | None, Query(alias="date")] = None,
    recipient: Annotated[str | None, Query()] = None,
) -> Response:
    """The HTML digest of ``date`` (default yesterday) for ``recipient`` (default: everyone
    tracked), as mailed, under ``EMAIL_CSP``."""
    row, zone = _recipient_and_zone(session, user, recipient)
    day = day or yesterday(zone, utcnow())
    content = DigestBuilder(session).build(
        email=row.email if row else "preview", people=row.people if row else None, day=day, zone=zone
    )
    # In the recipient's language, as mailed; for everyone tracked, in the reader's own.
    with i18n.use(row.language if row and row.language else request_language(request, user)):
        _, _, body = render_email("digest", digest=links(content, recipient_id=None))
    return HTMLResponse(body, headers={"Content-Security-Policy": EMAIL_CSP, "X-Frame-Options": "SAMEORIGIN"})


def _recipient_and_zone(session, user, recipient: str | None):
    """(the recipient row or None, the zone their day is in); 403 for non-admins, 404 for an unknown address."""
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="only admins can preview the digest")
    entry = _digest_entry()
    row = recipient_rows.by_email(session, recipient) if recipient else None
    if recipient and row is None:
        raise HTTPException(status_code=404, detail=f"no recipient {recipient!r}")
    return row, (zone_of(row, entry) if row else entry.zone)


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
    recipient_rows.unsubscribe(session, recipient_id=recipient_id, email=email, now=utcnow())
    session.commit()
    return _page("You are unsubscribed: no more daily digests will be sent to this address.")


@router.post("/subscription")
def subscription(
    session: SessionDep,
    user: UserDep,
    subscribe: Annotated[bool, Form()] = True,
    people: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Start (optionally for ``people`` only) or stop the logged-in user's own digest."""
    try:
        recipient_rows.set_subscription(session, user=user, subscribe=subscribe, people=people, now=utcnow())
    except Refused as exc:
        raise as_http(exc) from exc
    session.commit()
    return RedirectResponse("/review", status_code=303)


def _page(body: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Digest</title></head>'
        f"<body><main><p>{body}</p></main></body></html>",
        status_code=status_code,
    )
