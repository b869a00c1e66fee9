"""Permanent pages for one mention (``/mentions/{id}``) and one story (``/clusters/{id}``).

What the digest, alerts and a reviewer sharing a link point to: the card as the queue shows
it (with its triage forms), the whole text as fetched, and the other copies of the story.
Both need a session like every page; the id in the link says nothing about who is watched.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, select

from monitor.core.models import Cluster, Mention, Source
from monitor.core.storage import access
from monitor.review import cards, triage
from monitor.review.labels import SHOWN_KIND
from monitor.review.queue import MentionRow, _attach_people
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.evidence import with_evidence
from monitor.web.menus import menus
from monitor.web.menus import scoped as scoped_menus
from monitor.web.review import card_item

CLUSTER_LIMIT = 200

router = APIRouter(include_in_schema=False)


def mention_path(mention_id: int) -> str:
    """The site-relative permalink of a mention (prefix ``MONITOR_BASE_URL`` for emails)."""
    return f"/mentions/{mention_id}"


def cluster_path(cluster_id: int) -> str:
    """The site-relative permalink of a story cluster."""
    return f"/clusters/{cluster_id}"


def _cards_of(session: Session, mentions: list[Mention], scope: access.Scope) -> list[cards.Card]:
    sources = {
        sid: (name, kind)
        for sid, name, kind in session.exec(
            select(Source.id, Source.name, SHOWN_KIND).where(Source.id.in_({m.source_id for m in mentions}))
        )
    }
    found = [cards.Card(MentionRow(m, sources[m.source_id][0] or ""), sources[m.source_id][1] or "") for m in mentions]
    _attach_people(session, [c.row for c in found], scope=scope)
    cards._count_copies(session, found)
    return found


def _members(session: Session, cluster_id: int, scope: access.Scope) -> list[Mention]:
    return list(
        session.exec(
            select(Mention)
            .where(Mention.cluster_id == cluster_id, scope.mention_visible())
            .order_by(Mention.id)
            .limit(CLUSTER_LIMIT)
        )
    )


def _page(
    request: Request,
    session: Session,
    user,
    *,
    heading: str,
    main: list[Mention],
    others: list[Mention],
    cluster_id: int | None,
) -> Response:
    matcher = menus(session).matcher
    scope = access.scope_for(session, user)
    return render(
        request,
        "permalink.html",
        user=user,
        heading=heading,
        cluster_id=cluster_id,
        items=with_evidence(session, [card_item(c, matcher) for c in _cards_of(session, main, scope)]),
        others=[card_item(c, matcher) for c in _cards_of(session, others, scope)] if others else [],
        labels=triage.LABELS,
        menu=scoped_menus(session, scope),
        back="/review",
    )


@router.get("/mentions/{mention_id}")
def mention_page(mention_id: int, request: Request, session: SessionDep, user: UserDep) -> Response:
    """One mention: its card, whole text, and the other mentions of its story."""
    scope = access.scope_for(session, user)
    mention = session.get(Mention, mention_id)
    if mention is None or not access.can_see_mention(session, scope, mention_id):
        raise HTTPException(status_code=404, detail=f"no mention {mention_id}")
    others = (
        [m for m in _members(session, mention.cluster_id, scope) if m.id != mention_id] if mention.cluster_id else []
    )
    return _page(
        request,
        session,
        user,
        heading=mention.title or f"Mention {mention_id}",
        main=[mention],
        others=others,
        cluster_id=mention.cluster_id,
    )


@router.get("/clusters/{cluster_id}")
def cluster_page(cluster_id: int, request: Request, session: SessionDep, user: UserDep) -> Response:
    """One story: every mention of the cluster (its first ``CLUSTER_LIMIT``)."""
    if session.get(Cluster, cluster_id) is None:
        raise HTTPException(status_code=404, detail=f"no story {cluster_id}")
    members = _members(session, cluster_id, access.scope_for(session, user))
    if not members:  # also when every mention of the story is of another group (issue 20)
        raise HTTPException(status_code=404, detail=f"story {cluster_id} has no mentions")
    heading = members[0].title or f"Story {cluster_id}"
    return _page(request, session, user, heading=heading, main=members[:1], others=members[1:], cluster_id=cluster_id)
