"""Login rate limit: at most ``MAX_FAILURES`` failed logins per account and
``MAX_ADDRESS_FAILURES`` per client address within ``WINDOW_SECONDS``; further attempts get 429
without their password being checked.

An attempt is *reserved* before its password is hashed: one ``login_failure`` row per key
(``email:…``, ``ip:…``) is inserted and committed, then the keys' rows in the window are
counted. Over a limit, the attempt takes its rows back and is refused. Because every attempt
counts only after its own row is committed, of any L+1 attempts that pass, the last to commit
would have seen the other L: 40 parallel guesses check at most L passwords, in every web
process (``uvicorn --workers N``, several containers), as the rows are shared through the
database. A wrong password leaves the rows as its failure; a right one deletes them and the
account's earlier failures. The address limit is higher than the account's: colleagues may
share one address (an office, a VPN), and ``MONITOR_TRUSTED_PROXIES`` decides whose
forwarded headers name the client at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from monitor.core.models import LoginFailure, utcnow

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60
KEY_CHARS = 320  # the column's width


@dataclass(frozen=True)
class Reservation:
    """The rows one attempt inserted, and the keys they count against."""

    ids: tuple[int, ...]
    keys: tuple[str, ...]


def keys_for(*, address: str, email: str) -> tuple[str, str]:
    """The limiter keys of an attempt: the client address and the (normalised) email."""
    return (f"ip:{address}"[:KEY_CHARS], f"email:{email}"[:KEY_CHARS])


class LoginLimiter:
    """Reserves attempts by key in a sliding window, in the database."""

    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        max_address_failures: int = MAX_ADDRESS_FAILURES,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self.max_failures, self.max_address_failures = max_failures, max_address_failures
        self.window = timedelta(seconds=window)

    def limit_of(self, key: str) -> int:
        return self.max_address_failures if key.startswith("ip:") else self.max_failures

    def reserve(self, session: Session, *keys: str) -> Reservation | None:
        """Count this attempt against every key; None (and nothing kept) when a key is over its
        limit. Commits: the rows must be visible to concurrent attempts before counting."""
        table = LoginFailure.__table__
        now = utcnow()
        session.execute(sa.delete(table).where(table.c.at <= now - self.window))
        ids = tuple(
            session.execute(sa.insert(table).values(key=key, at=now).returning(table.c.id)).scalar_one() for key in keys
        )
        session.commit()
        counts = session.execute(
            sa.select(table.c.key, sa.func.count())
            .where(table.c.key.in_(keys), table.c.at > now - self.window)
            .group_by(table.c.key)
        ).all()  # consumed whole: an open cursor would hold SQLite's read snapshot into the DELETE below
        session.commit()  # hands the connection back: the attempt may now wait a while for a password check
        reservation = Reservation(ids=ids, keys=tuple(keys))
        if any(count > self.limit_of(key) for key, count in counts):
            self._take_back(session, reservation)
            return None
        return reservation

    def succeeded(self, session: Session, reservation: Reservation) -> None:
        """A right password: drop this attempt's rows and the account's failures; commits."""
        table = LoginFailure.__table__
        accounts = [key for key in reservation.keys if not key.startswith("ip:")]
        session.execute(sa.delete(table).where(sa.or_(table.c.id.in_(reservation.ids), table.c.key.in_(accounts))))
        session.commit()

    def _take_back(self, session: Session, reservation: Reservation) -> None:
        table = LoginFailure.__table__
        session.execute(sa.delete(table).where(table.c.id.in_(reservation.ids)))
        session.commit()
