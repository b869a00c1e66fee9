"""Single-use recovery codes: ``COUNT`` per user, shown once, kept only as keyed hashes.

A code is ten characters of an alphabet without look-alikes (no 0/o, 1/l/i), written
``xxxxx-xxxxx``: 50 bits, typed without ambiguity. Stored is an HMAC-SHA-256 of the
normalised code under a key derived from ``MONITOR_SECRET_KEY`` (a fast hash is enough for
50 random bits once a database copy alone cannot test guesses; argon2 was considered and
would cost 64 MiB per check for no gain). Using a code is a conditional UPDATE
(``used_at IS NULL``), so a code signs in once even when two requests race.

Hand-written: no well-kept library does recovery codes; ``secrets`` draws them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import utcnow
from monitor.core.models_access import RecoveryCode
from monitor.review.signin.keys import derived_key

COUNT = 10
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # 31 symbols without 0 o 1 l i
HALF = 5
MAX_INPUT_CHARS = 64
_NORMALISED = re.compile(f"[{ALPHABET}]{{{2 * HALF}}}")
_SEPARATORS = re.compile(r"[\s-]")


def generate() -> str:
    """One new code, ``xxxxx-xxxxx``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(2 * HALF))
    return f"{raw[:HALF]}-{raw[HALF:]}"


def parse(text: str) -> str | None:
    """The normalised form of a typed code (case, spaces and dashes ignored), or None when it cannot be one."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return None
    compact = _SEPARATORS.sub("", text).lower()
    return compact if _NORMALISED.fullmatch(compact) else None


def digest(normalised: str) -> str:
    """The stored form of a normalised code."""
    return hmac.new(derived_key("recovery"), normalised.encode(), hashlib.sha256).hexdigest()


def issue(session: Session, *, user_id: int) -> list[str]:
    """Replace the user's codes with ``COUNT`` new ones and return them (the only time they are
    readable). Does not commit: the caller audits in the same transaction."""
    session.execute(sa.delete(RecoveryCode.__table__).where(RecoveryCode.__table__.c.user_id == user_id))
    codes = [generate() for _ in range(COUNT)]
    now = utcnow()
    session.add_all(RecoveryCode(user_id=user_id, code_hash=digest(parse(code)), created_at=now) for code in codes)
    return codes


def use(session: Session, *, user_id: int, text: str) -> bool:
    """Spend one unused code of the user; True when ``text`` was one. Commits on success."""
    normalised = parse(text)
    if normalised is None:
        return False
    table = RecoveryCode.__table__
    statement = (
        sa.update(table)
        .where(table.c.user_id == user_id, table.c.code_hash == digest(normalised), table.c.used_at.is_(None))
        .values(used_at=utcnow())
    )
    used = session.execute(statement).rowcount == 1
    session.commit()
    return used


def remaining(session: Session, *, user_id: int) -> int:
    """How many unused codes the user has."""
    statement = (
        select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return session.exec(statement).one()
