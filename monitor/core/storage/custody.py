"""The custody log: one append-only, hash-chained table for the whole monitor.

Each event's ``hash`` is the SHA-256 of its canonical JSON (``event_record``), which carries
``prev_hash``, the hash of the event before it; the first event's ``prev_hash`` is
``GENESIS``. The database refuses UPDATE and DELETE (migration 0018's triggers), and the
unique ``prev_hash`` refuses a fork; ``append_event`` serialises writers so that concurrent
appends extend one chain instead of failing (an advisory lock on PostgreSQL, the write lock
on SQLite).

A bundle's slice (``person_slice``) carries the person's events in full and every other
event in between only as ``{"hash", "prev_hash"}``: the chain still verifies and nothing
about anyone else leaks. ``check_chain`` verifies such a slice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import utcnow
from monitor.core.models_custody import CustodyEvent

GENESIS = "0" * 64
KINDS = ("captured", "timestamped", "viewed", "labelled", "rechecked", "exported")
# pg_advisory_xact_lock key: any constant the rest of the monitor does not use ("custody").
_PG_LOCK_KEY = 0x637573746F6479


class ChainError(ValueError):
    """The custody chain does not hold; the message names the first event that breaks it."""


def canonical(value: object) -> str:
    """Canonical JSON (sorted keys, no spaces, UTF-8 text kept): the bytes that get hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_record(
    *, at: datetime, kind: str, actor: str, subject: str, people: str, details: str, prev_hash: str
) -> dict:
    """The fields an event's hash covers, as a JSON-ready dict (``at`` in UTC ISO 8601)."""
    stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
    return {
        "at": stamp,
        "kind": kind,
        "actor": actor,
        "subject": subject,
        "people": people,
        "details": details,
        "prev_hash": prev_hash,
    }


def record_hash(record: dict) -> str:
    """SHA-256 (hex) of a record's canonical JSON, ``hash`` itself left out."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def people_key(person_ids: Iterable[int]) -> str:
    """ ",3,7," for people 3 and 7 (so ``LIKE '%,3,%'`` finds an event), "" for none."""
    ids = sorted({int(i) for i in person_ids})
    return f",{','.join(map(str, ids))}," if ids else ""


def append_event(
    session: Session,
    kind: str,
    actor: str,
    subject: str,
    *,
    person_ids: Iterable[int] = (),
    details: dict | None = None,
    at: datetime | None = None,
) -> CustodyEvent:
    """Append one event (``kind`` in ``KINDS``) to the chain in the caller's transaction.

    ``actor`` is who acted ("user:3", "monitor"), ``subject`` what ("capture:12",
    "manifest:4"), ``person_ids`` whom the event concerns. The caller commits; the chain's
    lock is held until then, so keep the transaction short.
    """
    if kind not in KINDS:
        raise ValueError(f"custody: unknown event kind {kind!r}")
    _lock_chain(session)
    last = session.exec(select(CustodyEvent.hash).order_by(CustodyEvent.id.desc()).limit(1)).first()
    when = (at or utcnow()).astimezone(UTC)
    fields = event_record(
        at=when,
        kind=kind,
        actor=actor,
        subject=subject,
        people=people_key(person_ids),
        details=canonical(details or {}),
        prev_hash=last or GENESIS,
    )
    event = CustodyEvent(**{**fields, "at": when}, hash=record_hash(fields))
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class NewEvent:
    """One event for ``append_events``: the arguments of ``append_event``."""

    kind: str
    actor: str
    subject: str
    person_ids: tuple[int, ...] = ()
    details: dict = field(default_factory=dict)


def append_events(session: Session, events: list[NewEvent], *, at: datetime | None = None) -> None:
    """Append ``events`` in order, as ``append_event`` would one by one, in one INSERT.

    For the writers that log many events at once (a poll batch's captures): the chain is
    locked and its newest hash read once, each hash computed here.
    """
    if not events:
        return
    for event in events:
        if event.kind not in KINDS:
            raise ValueError(f"custody: unknown event kind {event.kind!r}")
    _lock_chain(session)
    previous = session.exec(select(CustodyEvent.hash).order_by(CustodyEvent.id.desc()).limit(1)).first() or GENESIS
    when = (at or utcnow()).astimezone(UTC)
    rows = []
    for event in events:
        fields = event_record(
            at=when,
            kind=event.kind,
            actor=event.actor,
            subject=event.subject,
            people=people_key(event.person_ids),
            details=canonical(event.details),
            prev_hash=previous,
        )
        previous = record_hash(fields)
        rows.append({**fields, "at": when, "hash": previous})
    # A plain INSERT, never ON CONFLICT DO NOTHING: a fork must fail, not vanish from the chain.
    # Into the table, not the ORM class: its bulk path handled 10,000 rows a poll one by one (issue 15).
    session.execute(sa.insert(CustodyEvent.__table__), rows)


def _lock_chain(session: Session) -> None:
    """Hold the chain's write lock until the transaction ends (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        # pysqlite opens the transaction before a write; a write that touches no row takes
        # SQLite's write lock (waiting for busy_timeout), so the read below is the newest.
        # Row triggers do not fire for zero rows.
        session.execute(sa.text("UPDATE custody_event SET id = id WHERE 0 = 1"))


def as_record(event: CustodyEvent) -> dict:
    """An event as the bundle writes it in full (``hash`` included)."""
    record = event_record(
        at=event.at,
        kind=event.kind,
        actor=event.actor,
        subject=event.subject,
        people=event.people,
        details=event.details,
        prev_hash=event.prev_hash,
    )
    return {**record, "hash": event.hash}


def person_slice(session: Session, person_id: int) -> list[dict]:
    """The chain from the person's first event to the newest: theirs (and monitor-wide ones,
    ``people`` empty) in full, anyone else's as ``{"hash", "prev_hash"}`` only."""
    key = f"%,{int(person_id)},%"
    first = session.exec(select(sa.func.min(CustodyEvent.id)).where(CustodyEvent.people.like(key))).first()
    if first is None:
        return []
    events = session.exec(select(CustodyEvent).where(CustodyEvent.id >= first).order_by(CustodyEvent.id)).all()
    mine = f",{int(person_id)},"
    return [
        as_record(e) if (mine in e.people or not e.people) else {"hash": e.hash, "prev_hash": e.prev_hash}
        for e in events
    ]


def check_chain(records: list[dict]) -> None:
    """Raise ``ChainError`` naming the first record (1-based) whose hash or link fails."""
    previous = None
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict) or not isinstance(record.get("hash"), str):
            raise ChainError(f"custody event {number}: not an event record")
        if previous is not None and record.get("prev_hash") != previous:
            raise ChainError(f"custody event {number}: prev_hash does not match the event before it")
        if len(record) > 2 and record_hash(record) != record["hash"]:
            raise ChainError(f"custody event {number}: hash does not match its contents")
        previous = record["hash"]


def chain_holds(session: Session) -> None:
    """Check the whole stored chain from ``GENESIS`` (tests, operators); raises ``ChainError``."""
    records = [as_record(e) for e in session.exec(select(CustodyEvent).order_by(CustodyEvent.id)).all()]
    if records and records[0]["prev_hash"] != GENESIS:
        raise ChainError("custody event 1: does not start at the genesis hash")
    check_chain(records)
