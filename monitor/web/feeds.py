"""Private feeds: the queue (any filter) and each person's page as Atom, for a feed reader.

A feed reader has no session, so the URL carries a per-user token: ``?token=…``, in the query
string because query strings stay out of the access log (``MONITOR_LOG_QUERY_STRINGS``), where
a path would not. The same token lets Prometheus scrape ``/metrics`` (admins' tokens only).

The database keeps only a random nonce per token; the token is ``<row id>.<HMAC of the row
under the secret key>``, so a copy of the database alone opens no feed. A user has at most
one live token; revoking it (or making a new one) answers 404 to the old URL at once. An
unknown, revoked or malformed token is a 404, never a hint of which part was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlmodel import Session, select

from monitor.core.models import FeedToken, Person, User, utcnow
from monitor.core.settings import get_settings
from monitor.core.storage import access
from monitor.review import cards
from monitor.web.atom import atom_feed
from monitor.web.deps import SessionDep
from monitor.web.review import FiltersDep

FEED_LIMIT = 200
TOKEN_MAC_CHARS = 40
ATOM_TYPE = "application/atom+xml; charset=utf-8"

router = APIRouter(include_in_schema=False)


def _mac(row: FeedToken) -> str:
    key = get_settings().resolved_secret_key().encode()
    message = f"feed-token:{row.id}:{row.user_id}:{row.nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:TOKEN_MAC_CHARS]


def token_string(row: FeedToken) -> str:
    """The token a feed URL carries for ``row``."""
    return f"{row.id}.{_mac(row)}"


def live_token(session: Session, user: User) -> FeedToken | None:
    """``user``'s unrevoked token, or None."""
    return session.exec(
        select(FeedToken)
        .where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.id.desc())
    ).first()


def revoke(session: Session, user: User) -> int:
    """Revoke every live token of ``user``; returns how many. The caller commits."""
    rows = session.exec(select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = utcnow()
        session.add(row)
    return len(rows)


def issue(session: Session, user: User) -> FeedToken:
    """A new live token for ``user``, revoking the old one. The caller commits."""
    revoke(session, user)
    row = FeedToken(user_id=user.id, nonce=secrets.token_hex(32), created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def user_for_token(session: Session, token: str | None) -> User | None:
    """The active user whose live token ``token`` is, else None (unknown, revoked, forged)."""
    ident, _, mac = (token or "").partition(".")
    if not ident.isdigit() or len(mac) != TOKEN_MAC_CHARS:
        return None
    row = session.get(FeedToken, int(ident))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(mac, _mac(row)):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def _reader(session: Session, token: str | None) -> User:
    user = user_for_token(session, token)
    if user is None:
        raise HTTPException(status_code=404, detail="no such feed")
    return user


TokenQuery = Annotated[str | None, Query(alias="token")]


@router.get("/feeds/review.atom")
def queue_feed(session: SessionDep, filters: FiltersDep, token: TokenQuery = None) -> Response:
    """The queue under ``filters`` (the review page's query parameters) as Atom, newest first."""
    reader = _reader(session, token)
    filters = replace(filters, scope=access.scope_for(session, reader))  # the token's user, not a cookie's
    if filters.person is not None and not access.can_see_person(session, filters.scope, filters.person):
        raise HTTPException(status_code=404, detail="no such feed")
    found = cards.list_cards(session, filters=filters, limit=FEED_LIMIT).cards
    return Response(
        atom_feed(found, title="Mention monitor: review queue", feed_id="feeds:review"), media_type=ATOM_TYPE
    )


@router.get("/feeds/people/{person_id}.atom")
def person_feed(person_id: int, session: SessionDep, token: TokenQuery = None) -> Response:
    """A person's stories in every review state, as on their page, as Atom."""
    scope = access.scope_for(session, _reader(session, token))
    person = session.get(Person, person_id)
    if person is None or not access.can_see_person(session, scope, person_id):
        raise HTTPException(status_code=404, detail="no such feed")
    found = cards.list_cards(
        session, filters=cards.Filters(state=None, person=person_id, scope=scope), limit=FEED_LIMIT
    ).cards
    return Response(
        atom_feed(found, title=f"Mention monitor: {person.name}", feed_id=f"feeds:person:{person_id}"),
        media_type=ATOM_TYPE,
    )
