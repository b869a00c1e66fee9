"""The delivery ledger every outgoing message shares (spike alerts, digests): one row per
message, claimed by a conditional UPDATE so that two processes never send it twice.

A row is ``sending`` while one process holds it, then ``sent`` or ``failed``. A failed row
may be claimed back (under an attempt limit, after its retry time where it has one); so may
a claim still ``sending`` past its stale time, which belongs to a process that died mid-send.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

SENDING, SENT, FAILED = "sending", "sent", "failed"


def reclaimable(
    model,
    *,
    now: datetime,
    stale_after: timedelta,
    max_attempts: int | None = None,
    retry_due: bool = False,
    resend: bool = False,
):
    """The SQL condition for rows of ``model`` a sender may claim (back): failed (under
    ``max_attempts``; with ``retry_due``, once ``retry_at`` has come), abandoned mid-send, and,
    with ``resend``, sent ones (an explicit resend)."""
    failed = model.status == FAILED
    if retry_due:
        failed = sa.and_(failed, model.retry_at <= now)
    if max_attempts is not None:
        failed = sa.and_(failed, model.attempts < max_attempts)
    conditions = [failed, sa.and_(model.status == SENDING, model.claimed_at < now - stale_after)]
    if resend:
        conditions.append(model.status == SENT)
    return sa.or_(*conditions)


def claim(session: Session, model, *, where, now: datetime, values: dict | None = None) -> bool:
    """Move the row matching ``where`` (which includes the reclaim condition) to ``sending``;
    True when this caller won it."""
    statement = sa.update(model).where(where).values(status=SENDING, claimed_at=now, **(values or {}))
    return session.execute(statement).rowcount == 1
