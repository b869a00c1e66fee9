"""Storage of the stream process: stream sources, their cursors and counters, the lease.

A stream's items belong to one ``Source`` row per stream (``origin = "stream"``, kind
``jetstream`` or ``mastodon-stream``), so the sources page, exports and spikes see them
like any other; the poller never polls those rows. ``save_batch`` stores a batch of matched
posts through the same ``store.save_many`` as polling and moves the cursor in the same
transaction, so a restart resumes exactly where the last stored batch ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from monitor.core.config_streams import StreamSpec
from monitor.core.models import Mention, Sighting, Source, SourceStats, StreamLease, StreamState
from monitor.core.storage import NewMention, insert_batch, save_many
from monitor.core.storage.received import Received, capture_received

STREAM_ORIGIN = "stream"
LEASE_NAME = "stream"


@dataclass
class Batch:
    """What one stream consumed since its last write: matched posts, counts, cursor, last event time."""

    source_id: int
    mentions: list[NewMention]
    events: int
    skipped: int
    cursor: str | None
    last_event_at: datetime | None
    reposts: list[tuple[str, str | None]] = field(default_factory=list)  # (post's at:// uri, reposter)
    received: list[Received] = field(default_factory=list)  # what yielded the mentions, kept as evidence


def sync_stream_sources(session: Session, *, specs: list[StreamSpec]) -> None:
    """One enabled source row per configured stream; stream rows the config dropped are disabled."""
    existing = {s.url: s for s in session.exec(select(Source).where(Source.origin == STREAM_ORIGIN))}
    wanted = {spec.url: spec for spec in specs}
    for url, source in existing.items():
        source.enabled = url in wanted
    for url, spec in wanted.items():
        source = existing.get(url) or session.exec(select(Source).where(Source.url == url)).first() or Source(url=url)
        source.name, source.kind, source.origin, source.enabled, source.removed_at = (
            spec.name,
            spec.kind,
            STREAM_ORIGIN,
            True,
            None,
        )
        session.add(source)
    session.flush()


def stream_sources(session: Session, *, specs: list[StreamSpec]) -> dict[str, Source]:
    """The source row of each spec, by URL (after ``sync_stream_sources``)."""
    urls = [spec.url for spec in specs]
    return {s.url: s for s in session.exec(select(Source).where(Source.url.in_(urls)))}


def save_batch(session: Session, *, batch: Batch, now: datetime) -> int:
    """Store the batch's new mentions, its cursor and counters in this transaction; how many were new."""
    new = save_many(session, batches=[(batch.source_id, batch.mentions)], now=now).get(batch.source_id, [])
    _save_reposts(session, batch, now=now)
    source = session.get(Source, batch.source_id)
    source.cursor = batch.cursor or source.cursor
    if batch.events:
        source.last_polled_at = source.last_success_at = now
        source.last_error, source.consecutive_failures = None, 0
    if new:
        source.last_new_at, source.new_last_poll = now, len(new)
    _count(session, batch, new=len(new), now=now)
    # Last: the captures' custody events hold the chain's lock until this commits.
    capture_received(session, received=batch.received, new_ids=new)
    return len(new)


def _save_reposts(session: Session, batch: Batch, *, now: datetime) -> None:
    """A sighting (by the first reposter) of each stored post the batch's reposts name: one query."""
    if not batch.reposts:
        return
    first = {uri: by for uri, by in reversed(batch.reposts)}
    stored = dict(
        session.execute(sa.select(Mention.identity, Mention.id).where(Mention.identity.in_(sorted(first)))).all()
    )
    rows = [
        {
            "mention_id": stored[uri],
            "source_id": batch.source_id,
            "url": None,
            "reposted_by": first[uri],
            "seen_at": now,
        }
        for uri in sorted(stored)
    ]
    insert_batch(session, Sighting, rows, keys=["mention_id", "source_id"])


def _count(session: Session, batch: Batch, *, new: int, now: datetime) -> None:
    insert = _dialect(session).insert
    state = insert(StreamState).values(
        source_id=batch.source_id,
        events=batch.events,
        skipped=batch.skipped,
        last_event_at=batch.last_event_at,
        updated_at=now,
    )
    columns = StreamState.__table__.c
    session.execute(
        state.on_conflict_do_update(
            index_elements=["source_id"],
            set_={
                "events": columns.events + state.excluded.events,
                "skipped": columns.skipped + state.excluded.skipped,
                "last_event_at": sa.func.coalesce(state.excluded.last_event_at, columns.last_event_at),
                "updated_at": state.excluded.updated_at,
            },
        )
    )
    if new:
        stats = insert(SourceStats).values(source_id=batch.source_id, polls=0, errors=0, new_mentions=new)
        session.execute(
            stats.on_conflict_do_update(
                index_elements=["source_id"], set_={"new_mentions": SourceStats.__table__.c.new_mentions + new}
            )
        )


def set_mode(session: Session, *, source_id: int, mode: str, note: str | None, now: datetime) -> None:
    """Record whether the stream streams or fell back to polling (``note``: why, for the sources page)."""
    statement = _dialect(session).insert(StreamState).values(source_id=source_id, mode=mode, note=note, updated_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["source_id"], set_={"mode": mode, "note": note, "updated_at": now}
        )
    )


def record_error(session: Session, *, source_id: int, message: str, now: datetime) -> None:
    """A failed connection or fallback poll, shown on the source like a failed poll."""
    source = session.get(Source, source_id)
    source.last_error, source.last_error_at, source.last_polled_at = message[:1000], now, now
    source.consecutive_failures += 1


def states(session: Session) -> dict[int, StreamState]:
    """Every stream source's state, by source id (for ``/metrics`` and the sources page)."""
    return {s.source_id: s for s in session.exec(select(StreamState))}


def claim_lease(session: Session, *, holder: str, now: datetime, seconds: float) -> bool:
    """Take or renew the deployment's stream lease; True when ``holder`` has it until now + seconds.

    An upsert that only overwrites an expired lease or the holder's own: two processes
    racing for it cannot both win, on either database.
    """
    statement = (
        _dialect(session)
        .insert(StreamLease)
        .values(name=LEASE_NAME, holder=holder, expires_at=now + timedelta(seconds=seconds))
    )
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=sa.or_(StreamLease.expires_at <= now, StreamLease.holder == holder),
    )
    return session.execute(statement.returning(StreamLease.name)).first() is not None


def release_lease(session: Session, *, holder: str) -> None:
    """Give the lease up at once (a clean exit), so a waiting process need not wait it out."""
    session.execute(sa.delete(StreamLease).where(StreamLease.name == LEASE_NAME, StreamLease.holder == holder))


def _dialect(session: Session):
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def summaries(session: Session, *, now: datetime) -> dict[int, str]:
    """One line per stream source for the sources page: mode, lag, events and skipped frames."""
    lines = {}
    for source_id, found in states(session).items():
        lag = (
            f"lag {max(0, round((now - found.last_event_at).total_seconds()))} s"
            if found.last_event_at
            else "no event yet"
        )
        mode = f"polling: {found.note}" if found.mode == "polling" else "streaming"
        lines[source_id] = f"{mode}; {lag}; {found.events} events, {found.skipped} skipped"
    return lines
