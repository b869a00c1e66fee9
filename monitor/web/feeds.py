"""Private feeds: the queue (any filter) and each person's page as Atom, for a feed reader.

A feed reader has no session, so the URL carries a per-user token: ``?token=…``, in the query
string because query strings stay out of the access log (``MONITOR_LOG_QUERY_STRINGS``), where
a path would not. The same token lets Prometheus scrape ``/metrics`` (admins' tokens only).

The tokens themselves (a nonce in the database, an HMAC in the URL) are
``monitor.review.feed_tokens``; revoking one (or making a new one) answers 404 to the old
URL at once. An unknown, revoked or malformed token is a 404, never a hint of which part was wrong.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlmodel import Session

from monitor.core.models import Person, User
from monitor.core.storage import access
from monitor.review import cards
from monitor.review.feed_tokens import user_for_token
from monitor.web.atom import atom_feed
from monitor.web.deps import SessionDep
from monitor.web.review import FiltersDep

FEED_LIMIT = 200
ATOM_TYPE = "application/atom+xml; charset=utf-8"

router = APIRouter(include_in_schema=False)


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
