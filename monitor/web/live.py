"""The queue while it is open: mentions stored since the page was drawn, and the queue's count.

Ids only grow, so "an id above the newest when the page was drawn" is "stored since". The
script asks ``GET /review/fresh`` (``monitor.web.review``) every ``POLL_SECONDS`` (the page
tells it, ``data-poll-ms``) and after each action; new cards wait under an "N new" bar until
the reviewer asks for them, so nothing moves under the cursor.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlmodel import Session

from monitor.core.models import Mention
from monitor.review import cards

POLL_SECONDS = 20
FRESH_LIMIT = 50


def newest_id(session: Session) -> int:
    """The highest mention id stored so far (0 when none)."""
    return session.execute(sa.select(sa.func.max(Mention.id))).scalar() or 0


def fresh(session: Session, *, filters: cards.Filters, newest: int, page_size: int) -> tuple[cards.Page, cards.Page]:
    """(cards of mentions stored after ``newest`` matching ``filters``, the first page of
    ``page_size`` as the heading counts it)."""
    new = cards.list_cards(session, filters=replace(filters, newer_than=newest), limit=FRESH_LIMIT)
    counted = cards.list_cards(session, filters=filters, limit=page_size)
    return new, counted
