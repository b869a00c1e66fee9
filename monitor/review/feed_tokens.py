"""Private feed tokens: a feed reader has no session, so the feed URL carries one.

The database keeps only a random nonce per token; the token is ``<row id>.<HMAC of the row
under the secret key>``, so a copy of the database alone opens no feed. A user has at most
one live token; revoking it (or making a new one) ends the old one at once. The caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlmodel import Session, select

from monitor.core.models import FeedToken, User, utcnow
from monitor.core.settings import get_settings

TOKEN_MAC_CHARS = 40


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


def revoke(session: Session, user: User, *, now: datetime | None = None) -> int:
    """Revoke every live token of ``user``; returns how many."""
    rows = session.exec(select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now or utcnow()
        session.add(row)
    return len(rows)


def issue(session: Session, user: User, *, now: datetime | None = None) -> FeedToken:
    """A new live token for ``user``, revoking the old one."""
    now = now or utcnow()
    revoke(session, user, now=now)
    row = FeedToken(user_id=user.id, nonce=secrets.token_hex(32), created_at=now)
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
