"""The spike refresh's claim: at most one recomputation per gap across every worker.

Apart from ``spike_state`` so that claiming imports no detector (and no SciPy).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from monitor.core.models import Heartbeat
from monitor.core.storage.bulk import _is_postgresql

SPIKE_REFRESH = "spikes"


def claim_spike_refresh(session: Session, *, now: datetime, min_gap_seconds: float) -> bool:
    """True for the one caller that may recompute spikes now: at most once per gap across workers.


    The claim is an upsert on a ``heartbeat`` row that only moves when the last refresh is
    older than the gap, so two workers racing for it cannot both win.
    """
    dialect = postgresql if _is_postgresql(session) else sqlite
    statement = dialect.insert(Heartbeat).values(name=SPIKE_REFRESH, beat_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"beat_at": statement.excluded.beat_at},
        where=Heartbeat.beat_at <= now - timedelta(seconds=min_gap_seconds),
    )
    return session.execute(statement.returning(Heartbeat.name)).first() is not None
