"""Retention: poll responses that stored no mention are kept for a while, then deleted.

The same holds for a search response or stream message kept without a new mention (its
mentions were stored before, a replay): ``RECEIVED_KINDS``.

So the store grows with mentions, not with polls. Only the blobs of the rows deleted here
are removed, and only when no other capture names them (identical bodies are one file);
the store may hold other files (timestamps, manifests) this never touches.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core import blob_store as store
from monitor.core.models_evidence import Capture

log = logging.getLogger(__name__)
PRUNE_BATCH = 1000
RECEIVED_KINDS = ("poll", "search", "stream")  # what a poll, a search or a stream received, kept unlinked


def prune_unmatched(session: Session, *, settings, now: datetime) -> int:
    """Delete unmatched captures of what was received (``RECEIVED_KINDS``) older than
    ``evidence_unmatched_days``; how many rows went."""
    cutoff = now - timedelta(days=settings.evidence_unmatched_days)
    old = session.exec(
        select(Capture)
        .where(Capture.kind.in_(RECEIVED_KINDS), Capture.mention_id == None, Capture.captured_at < cutoff)
        .order_by(Capture.id)
        .limit(PRUNE_BATCH)
    ).all()
    if not old:
        return 0
    names = {sha for row in old for sha in (row.sha256, row.request_sha256) if sha}
    session.execute(sa.delete(Capture).where(Capture.id.in_([row.id for row in old])))
    still = _still_named(session, names)
    removed = sum(store.remove(settings, sha) for sha in sorted(names - still))
    log.info("pruned unmatched captures", extra={"rows": len(old), "blobs": removed})
    return len(old)


def _still_named(session: Session, names: set[str]) -> set[str]:
    named: set[str] = set()
    for column in (Capture.sha256, Capture.request_sha256, Capture.text_sha256):
        named |= set(session.exec(select(column).where(column.in_(names))).all())
    return named
