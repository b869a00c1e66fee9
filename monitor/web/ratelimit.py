"""Login rate limit: at most ``MAX_FAILURES`` failed logins per client address and per email
within ``WINDOW_SECONDS``; further attempts get 429 without checking the password.

Failures are rows of ``login_failure`` in the database, so every web process (``uvicorn
--workers N``, several containers) counts against one budget. Rows older than the window
are deleted as new failures arrive; a successful login forgets its keys' failures.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from monitor.models import LoginFailure, utcnow

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginLimiter:
    """Counts failures by key (``ip:…`` and ``email:…``) in a sliding window, in the database."""

    def __init__(self, *, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures, self.window = max_failures, timedelta(seconds=window)

    def blocked(self, session: Session, *keys: str) -> bool:
        """True when any key has used up its failures in the window."""
        table = LoginFailure.__table__
        counts = session.execute(
            sa.select(table.c.key, sa.func.count()).where(table.c.key.in_(keys), table.c.at > utcnow() - self.window)
            .group_by(table.c.key)
        )
        return any(count >= self.max_failures for _, count in counts)

    def failed(self, session: Session, *keys: str) -> None:
        """Record one failed attempt against every key, and drop failures older than the window; commits."""
        now = utcnow()
        table = LoginFailure.__table__
        session.execute(sa.delete(table).where(table.c.at <= now - self.window))
        session.execute(sa.insert(table), [{"key": key[:320], "at": now} for key in keys])
        session.commit()

    def succeeded(self, session: Session, *keys: str) -> None:
        """Forget the failures of these keys; commits."""
        table = LoginFailure.__table__
        session.execute(sa.delete(table).where(table.c.key.in_(keys)))
        session.commit()
