"""Poll captures: each changed poll response kept as WARC records, linked to the mentions it yielded.

``prepare`` runs in the fetch path (``monitor.ingest.poller``): the response of every source whose
body changed becomes a request and a response record in the evidence store, written in a
thread beside the other fetches. ``capture_polls`` runs in the poll writer's transaction,
after the mentions are stored (``monitor.ingest.poll_writer``): one ``Capture`` row per new mention (with
the SHA-256 of its own item as canonical JSON) and a "captured" custody event for each, all
appended at once (``insert_captures``). A response that stored no new mention gets a
row without a mention (and no event); those are deleted after ``MONITOR_EVIDENCE_UNMATCHED_DAYS``
(``monitor.evidence.retention``). New mentions of a person marked ``preserve`` are queued for
their linked page and re-checks (``Preservation``). Stream messages and search responses go
through the same rows and events (``monitor.core.storage.received``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor import __version__
from monitor.core import blob_store as store
from monitor.core.models import Mention, MentionPerson, Person
from monitor.core.models_evidence import Capture, Preservation
from monitor.core.settings import get_settings
from monitor.core.storage.bulk import insert_batch, insert_ignore
from monitor.core.storage.custody import NewEvent, append_events
from monitor.core.warc import Exchange, Records, Revisit, records

log = logging.getLogger(__name__)
# The item as the mention row keeps it, so anyone can recompute the hash from the stored mention.
ITEM_FIELDS = ("guid", "url", "title", "text", "author", "published_at", "identity", "language")


def method_name(adapter: str) -> str:
    """Who captured and how: ``"monitor 0.1.0 rss"``."""
    return f"monitor {__version__} {adapter}"


def item_sha256(mention) -> str:
    """SHA-256 of the item as extracted: canonical JSON (sorted keys, no spaces, UTF-8)."""
    return store.sha256_hex(canonical_item(mention))


def canonical_item(mention) -> bytes:
    get = mention.get if isinstance(mention, dict) else lambda name: getattr(mention, name, None)
    item = {name: get(name) for name in ITEM_FIELDS}
    if isinstance(item["published_at"], datetime):
        item["published_at"] = item["published_at"].astimezone(UTC).isoformat()
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def capture_polls(session: Session, *, settings, outcomes: list, new_ids: dict[int, list[int]], now: datetime) -> None:
    """Capture the responses of ``outcomes`` (those with ``response`` set) and link their new mentions
    (when ``evidence_capture`` is on); queue the new mentions of preserved people either way."""
    queue_preserved(session, mention_ids=[i for ids in new_ids.values() for i in ids], now=now)
    captured = [o for o in outcomes if getattr(o, "response", None) is not None and o.error is None]
    if not captured or not settings.evidence_capture:
        return
    try:
        with session.begin_nested():  # a full disk or a surprise costs the capture, never the mentions
            _record(session, settings, captured, new_ids, now)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        raise  # the database away: the writer retries the whole batch
    except Exception as exc:  # noqa: BLE001 - logged by type only: the message may quote feed text
        log.error("capturing poll responses failed: %s", type(exc).__name__, extra={"sources": len(captured)})


def _record(session: Session, settings, captured: list, new_ids: dict[int, list[int]], now: datetime) -> None:
    ids = [i for o in captured for i in new_ids.get(o.result.source_id, [])]
    guids = dict(session.exec(select(Mention.id, Mention.guid).where(Mention.id.in_(ids))).all()) if ids else {}
    ready = [(_prepared(o), [(i, guids[i]) for i in new_ids.get(o.result.source_id, [])]) for o in captured]
    insert_captures(session, capture_rows(session, settings, ready))


def capture_rows(session: Session, settings, ready: list[tuple[Prepared, list[tuple[int, str]]]]) -> list[dict]:
    """The ``Capture`` rows of prepared records, each linked to the new mentions (id, guid) its
    items include, or one unlinked row (kept for the retention) when it yielded none new.

    A body already kept with a mention is written again as a revisit record (no second copy).
    """
    earlier = _earlier_payloads(session, [p for p, _ in ready])
    rows: list[dict] = []
    for prepared, new in ready:
        first = earlier.get(prepared.made.payload_sha256)
        if first is not None and prepared.exchange is not None:
            prepared = _as_revisit(settings, prepared, first)
        earlier.setdefault(
            prepared.made.payload_sha256,
            Revisit(prepared.made.url, prepared.captured_at, prepared.made.payload_sha256),
        )
        row = {
            "kind": prepared.kind,
            "sha256": prepared.sha256,
            "request_sha256": prepared.request_sha256,
            "url": prepared.made.url,
            "status": prepared.status,
            "size": len(prepared.made.response),
            "captured_at": prepared.captured_at,
            "method": prepared.method,
            "payload_sha256": prepared.made.payload_sha256,
            "transform": prepared.made.transform,
            "text_sha256": None,
        }
        linked = [{**row, "mention_id": i, "item_sha256": prepared.items[g]} for i, g in new if g in prepared.items]
        rows += linked or [{**row, "mention_id": None, "item_sha256": None}]
    return rows


def insert_captures(session: Session, rows: list[dict]) -> None:
    """Insert ``rows`` and append a "captured" custody event for each one linked to a mention,
    naming the mention's people (their bundle's slice carries it): one INSERT each, not one per row."""
    returned = insert_batch(
        session, Capture, rows, returning=(Capture.id, Capture.mention_id, Capture.sha256, Capture.item_sha256)
    )
    linked = sorted((r for r in returned if r[1] is not None), key=lambda r: r[0])
    if not linked:
        return
    people: dict[int, list[int]] = {}
    for mention_id, person_id in session.execute(
        sa.select(MentionPerson.mention_id, MentionPerson.person_id).where(
            MentionPerson.mention_id.in_({r[1] for r in linked})
        )
    ):
        people.setdefault(mention_id, []).append(person_id)
    events = [
        NewEvent(
            "captured",
            "monitor",
            f"capture:{capture_id}",
            tuple(people.get(mention_id, ())),
            {"mention": mention_id, "sha256": sha, "item_sha256": item},
        )
        for capture_id, mention_id, sha, item in linked
    ]
    append_events(session, events)


def _earlier_payloads(session: Session, prepared: list[Prepared]) -> dict[str, Revisit]:
    """Bodies of this batch already stored with a mention (never pruned): their first capture, for a revisit record."""
    shas = {p.made.payload_sha256 for p in prepared}
    rows = session.exec(
        select(Capture.payload_sha256, Capture.url, Capture.captured_at)
        .where(
            Capture.payload_sha256.in_(shas),
            Capture.kind.in_({p.kind for p in prepared}),
            Capture.mention_id != None,
        )
        .order_by(Capture.id)
    ).all()
    earlier: dict[str, Revisit] = {}
    for sha, url, at in rows:
        earlier.setdefault(sha, Revisit(url=url, captured_at=at, payload_sha256=sha))
    return earlier


@dataclass
class Prepared:
    """A response's (or a stream message's) records already in the store, and its items' hashes:
    made before the writer's transaction where it can be, so the writer only adds rows."""

    made: Records
    sha256: str
    request_sha256: str
    captured_at: datetime
    items: dict[str, str]  # guid -> item SHA-256
    kind: str = "poll"  # poll, search, stream
    status: int | None = None  # None: a WebSocket message
    method: str = ""
    exchange: Exchange | None = None  # to write again as a revisit record; None for a message


def store_records(settings, made: Records, *, mentions: list, captured_at: datetime, **fields) -> Prepared:
    """Put ``made``'s records in the store; a ``Prepared`` with ``mentions``' item hashes and ``fields``."""
    items = {m.guid: item_sha256(m) for m in mentions}
    return Prepared(
        made, store.put(settings, made.response), store.put(settings, made.request), captured_at, items, **fields
    )


def _as_revisit(settings, prepared: Prepared, first: Revisit) -> Prepared:
    # Both records name a fresh record id: no other capture has them.
    store.remove(settings, prepared.sha256)
    store.remove(settings, prepared.request_sha256)
    made = records(prepared.exchange, revisit_of=first)
    return replace(
        prepared, made=made, sha256=store.put(settings, made.response), request_sha256=store.put(settings, made.request)
    )


async def prepare(outcome, settings) -> None:
    """Write ``outcome.response``'s records to the store in a thread (``outcome.prepared``); never raises."""
    if not settings.evidence_capture or outcome.response is None:
        return
    try:
        outcome.prepared = await asyncio.to_thread(_prepare, outcome, settings, datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - the writer tries again; logged by type only
        log.warning("preparing a capture failed: %s", type(exc).__name__, extra={"source_id": outcome.result.source_id})


def _prepare(outcome, settings, now: datetime) -> Prepared:
    response = outcome.response
    exchange = Exchange(
        url=response.url,
        status=response.status,
        request_headers=response.request_headers,
        response_headers=response.headers,
        body=response.body,
        captured_at=now,
    )
    return store_records(
        settings,
        records(exchange),
        mentions=outcome.mentions,
        captured_at=now,
        status=response.status,
        method=method_name(outcome.detected or outcome.adapter),
        exchange=exchange,
    )


def _prepared(outcome) -> Prepared:
    if getattr(outcome, "prepared", None) is None:  # capture was turned on mid-poll, or preparing failed
        outcome.prepared = _prepare(outcome, get_settings(), datetime.now(UTC))
    return outcome.prepared


def queue_preserved(session: Session, *, mention_ids: list[int], now: datetime) -> None:
    """Queue the mentions among ``mention_ids`` that name a person marked ``preserve``."""
    if not mention_ids:
        return
    preserved = session.exec(
        select(MentionPerson.mention_id)
        .join(Person, Person.id == MentionPerson.person_id)
        .where(MentionPerson.mention_id.in_(mention_ids), Person.preserve == True)
    ).all()
    request_preservation(session, mention_ids=sorted(set(preserved)), reason="preserve", now=now)


def request_preservation(session: Session, *, mention_ids: list[int], reason: str, now: datetime) -> None:
    """Queue these mentions for their linked page and re-checks (once each: idempotent)."""
    rows = [
        {
            "mention_id": i,
            "reason": reason,
            "requested_at": now,
            "state": "pending",
            "next_check_at": now,
            "checks_done": 0,
            "attempts": 0,
        }
        for i in mention_ids
    ]
    insert_ignore(session, Preservation, rows, keys=["mention_id"])
