"""Backfill: posts that were already old when the monitor first saw them open no spike alert.

A mention is backfill when it was published before its source's first successful poll
(``Source.first_success_at``) or before its person was tracked (``Person.tracked_since``): a
new source's first poll, or a new person's first matches, bring in hours-old posts, and
"12 mentions, usually 0" about them would be news to nobody. Backfill still counts in the
spike series at its published time (the spike is recorded and shown); only the alert is
withheld (``monitor.notify.alerts.alertable``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from monitor.core.models import Mention, MentionPerson, Person, Source, Spike
from monitor.core.storage.spike_state import ALL_KINDS

# With backfill in a spike's window, its live mentions alone must be this unlikely under the
# expected count to alert; an expected count below MIN_EXPECTED is taken as MIN_EXPECTED (a
# quiet person's one live post among twelve backfilled ones is no burst).
LIVE_ALERT_P = 1e-3
MIN_EXPECTED = 0.5


def opened_live(session: Session, spike: Spike) -> bool:
    """Whether the spike's flagged window holds enough live mentions to alert on: all of
    them (the detector decided), or, with backfill among them, enough live ones alone to be
    a burst (Poisson tail under the expected count at most ``LIVE_ALERT_P``)."""
    start, end = spike.hour, spike.hour + timedelta(seconds=spike.bucket_seconds or 3600)
    statement = (
        sa.select(Mention.published_at, Source.first_success_at, Person.tracked_since)
        .join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .join(Person, Person.id == MentionPerson.person_id)
        .join(Source, Source.id == Mention.source_id)
        .where(MentionPerson.person_id == spike.person_id, Mention.at >= start, Mention.at < end)
    )
    if spike.source_kind != ALL_KINDS:
        statement = statement.where(Source.kind == spike.source_kind)
    rows = session.execute(statement).all()
    live = sum(1 for published, first_success, tracked in rows if not _backfill(published, first_success, tracked))
    if live == len(rows):
        return True
    return at_least(live, max(spike.expected, MIN_EXPECTED)) <= LIVE_ALERT_P


def at_least(count: int, expected: float) -> float:
    """P(X >= count) for X ~ Poisson(expected): ``scipy.stats.poisson.sf(count - 1, expected)``.

    ``pdtrc`` is the function that ``sf`` calls, without the second of CPU that importing
    ``scipy.stats`` costs the first refresh of a poll (issue 15).
    """
    from scipy.special import pdtrc

    return float(pdtrc(count - 1, expected)) if count > 0 else 1.0


def _backfill(published: datetime | None, first_success: datetime | None, tracked: datetime | None) -> bool:
    # No published time: the mention counts at its fetch, which was live.
    return published is not None and any(t is not None and published < t for t in (first_success, tracked))
