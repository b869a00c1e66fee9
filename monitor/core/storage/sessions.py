"""Server-side session records: a signed-in browser is a ``WebSession`` row, not just a cookie.

The cookie carries a random token; the row keeps only its SHA-256, so a copy of the database
cannot sign anybody in. A session works while its row is unrevoked, its user active and
``expires_at`` (fixed at login: ``LIFETIME`` later) not reached. Logout revokes one row; a
password change, a deactivation or "sign out everywhere" revoke all of a user's rows.
``last_seen_at`` is refreshed at most every ``TOUCH_EVERY`` so that pages do not write on
every request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import User, WebSession, utcnow

LIFETIME = timedelta(days=7)  # absolute: signing in again is the only way past it
TOUCH_EVERY = timedelta(minutes=5)
USER_AGENT_CHARS = 200


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, *, user: User, user_agent: str = "") -> str:
    """Record a new session for ``user`` and return its token (for the cookie); commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
            user_agent=user_agent[:USER_AGENT_CHARS],
        )
    )
    session.commit()
    return token


def find(session: Session, token: str | None) -> WebSession | None:
    """The live session record of ``token``, or None when unknown, revoked or expired.

    Touches ``last_seen_at`` (and commits) when it is older than ``TOUCH_EVERY``."""
    if not token or not isinstance(token, str):
        return None
    record = session.exec(select(WebSession).where(WebSession.token_hash == _digest(token))).first()
    now = utcnow()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
        session.add(record)
        session.commit()
    return record


def end(session: Session, token: str | None) -> None:
    """Revoke the session of ``token`` (logout); a no-op for unknown tokens; commits."""
    if token and isinstance(token, str):
        _revoke(session, WebSession.token_hash == _digest(token))


def end_all(session: Session, *, user_id: int, keep_id: int | None = None) -> int:
    """Revoke every live session of ``user_id`` except ``keep_id``; returns how many; commits."""
    condition = WebSession.user_id == user_id
    if keep_id is not None:
        condition = sa.and_(condition, WebSession.id != keep_id)
    return _revoke(session, condition)


def end_one(session: Session, *, user_id: int, session_id: int) -> int:
    """Revoke one session of ``user_id`` by its id (another user's id revokes nothing); commits."""
    return _revoke(session, sa.and_(WebSession.user_id == user_id, WebSession.id == session_id))


def _revoke(session: Session, condition) -> int:
    statement = sa.update(WebSession).where(condition, WebSession.revoked_at.is_(None)).values(revoked_at=utcnow())
    count = session.execute(statement).rowcount
    session.commit()
    return count


def live(session: Session, *, user_id: int) -> list[WebSession]:
    """The user's sessions that still work, most recently used first."""
    statement = (
        select(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > utcnow())
        .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
    )
    return list(session.exec(statement).all())
