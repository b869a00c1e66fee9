"""Re-checks of preserved mentions: capture the linked page, then fetch it again on a schedule.

Outcomes (``Recheck.outcome``; ``Preservation.state`` follows):

=============  ==========================================================================
captured       the first capture of the linked page (the baseline)
unchanged      present, same text as the last capture
edited         present, other text: a new capture, and the text diff in ``Recheck.detail``
suspected      404/410 or the platform's "removed" page, seen the first time
deleted        seen gone again at least ``CONFIRM_AFTER`` later (or at once with ``confirm_now``)
unavailable    network failure or 5xx: never taken for a deletion
blocked        451 (unavailable for legal reasons, often geo-blocking)
=============  ==========================================================================

The schedule (``[evidence] recheck``) counts from the first capture. A run takes at most
``evidence_batch`` due mentions with a few requests at a time through the politeness gate,
in its own task, so re-checks never hold up polling. ``run(everything=True)`` (the command's
``--now``) checks every preserved mention not yet deleted, ahead of its schedule.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core import blob_store as store
from monitor.core import db
from monitor.core.durations import parse_duration
from monitor.core.models import Mention, MentionPerson, utcnow
from monitor.core.models_evidence import Capture, Preservation, Recheck
from monitor.core.settings import get_settings
from monitor.core.storage.custody import append_event
from monitor.evidence.markers import removal_marker
from monitor.evidence.pages import PageFetch, fetch_page, store_page
from monitor.ingest.http_clients import HostClients
from monitor.ingest.politeness import gate_for

log = logging.getLogger(__name__)
CONFIRM_AFTER = timedelta(hours=1)
RETRY_AFTER = timedelta(hours=1)
CLAIM_FOR = timedelta(minutes=15)  # a run that died leaves its mentions due again after this
CONCURRENCY = 4
DIFF_CAP = 20_000
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


@dataclass
class Summary:
    checked: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def recheck_delays(settings) -> list[timedelta]:
    """``[evidence] recheck`` of the config file (its defaults when the file cannot be read)."""
    from monitor.core.config_file import ConfigError, EvidenceEntry, load_watchlist

    try:
        entry = load_watchlist(settings.config).evidence
    except ConfigError:
        entry = EvidenceEntry()
    return sorted(parse_duration(value) for value in entry.recheck)


def run(*, now: datetime | None = None, everything: bool = False, confirm_now: bool = False) -> Summary:
    """Check the due preserved mentions (``everything``: all not yet deleted); what was found."""
    settings, now = get_settings(), now or utcnow()
    delays, summary, after = recheck_delays(settings), Summary(), 0
    while True:
        batch = _load(now=now, everything=everything, after=after, limit=settings.evidence_batch)
        if not batch:
            return summary
        fetched = asyncio.run(_fetch_all(settings, [(p.mention_id, url) for p, url, _ in batch], now))
        captured = []
        with db.session_scope() as session:
            for (preservation, url, previous), page in zip(batch, fetched):
                outcome = _apply(
                    session,
                    settings,
                    preservation,
                    page,
                    previous,
                    now=now,
                    delays=delays,
                    confirm_now=confirm_now or everything,
                    scheduled=not everything,
                )
                summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + 1
                captured += [(preservation.mention_id, url)] if outcome == "captured" else []
        if settings.evidence_screenshots:  # after the commit: a slow page holds no transaction
            from monitor.evidence.browser import capture_shots

            for mention_id, url in captured:
                capture_shots(settings, mention_id=mention_id, url=url, now=now)
        summary.checked += len(batch)
        log.info("re-checked preserved mentions", extra={"checked": len(batch), "outcomes": summary.outcomes})
        if not everything:
            return summary
        after = batch[-1][0].mention_id


def _load(*, now: datetime, everything: bool, after: int, limit: int) -> list[tuple[Preservation, str, str | None]]:
    """The next preserved mentions to check, with their URL and the text of their last capture."""
    with db.session_scope() as session:
        query = (
            select(Preservation, Mention.url)
            .join(Mention, Mention.id == Preservation.mention_id)
            .where(Preservation.state != "deleted", Mention.url != None)
        )
        if everything:
            query = query.where(Preservation.mention_id > after).order_by(Preservation.mention_id)
        else:
            query = query.where(Preservation.next_check_at <= now).order_by(Preservation.next_check_at)
        rows = session.exec(query.limit(limit)).all()
        if not everything:  # two overlapping beat runs must not check one mention twice
            rows = [(p, url) for p, url in rows if _claim(session, p, now)]
        found = [(p, url, _last_text(session, p.mention_id)) for p, url in rows]
        session.expunge_all()
        return found


def _claim(session: Session, row: Preservation, now: datetime) -> bool:
    """Move the row's next check past this run by a conditional UPDATE; True when this run won it."""
    claimed = session.execute(
        sa.update(Preservation)
        .where(Preservation.mention_id == row.mention_id, Preservation.next_check_at == row.next_check_at)
        .values(next_check_at=now + CLAIM_FOR)
    ).rowcount
    return claimed == 1


def _last_text(session: Session, mention_id: int) -> str | None:
    sha = session.exec(
        select(Capture.text_sha256)
        .where(Capture.mention_id == mention_id, Capture.text_sha256 != None)
        .order_by(Capture.id.desc())
        .limit(1)
    ).first()
    if sha is None:
        return None
    try:
        return store.read(get_settings(), sha).decode("utf-8")
    except FileNotFoundError:
        return None


async def _fetch_all(settings, targets: list[tuple[int, str]], now: datetime) -> list[PageFetch]:
    gate, running = gate_for(settings), asyncio.Semaphore(CONCURRENCY)

    async def one(url: str) -> PageFetch:
        async with running:
            return await fetch_page(clients, gate, url, settings=settings, now=now)

    try:
        async with HostClients(settings, per_host=settings.host_concurrency) as clients:
            return await asyncio.gather(*(one(url) for _, url in targets))
    finally:
        if hasattr(gate, "close"):
            await gate.close()


def classify(page: PageFetch, previous: str | None) -> str:
    """gone, blocked, unavailable, edited or unchanged (``previous``: the last captured text)."""
    if page.status in (404, 410):
        return "gone"
    if page.status == 451:
        return "blocked"
    if page.exchange is None:
        return "unavailable"
    if removal_marker(page.url, page.exchange.body):
        return "gone"
    if previous is not None and _normal(page.text) != _normal(previous):
        return "edited"
    return "unchanged"


def _normal(text: str) -> str:
    return " ".join(text.split())


def _apply(session, settings, preservation, page, previous, *, now, delays, confirm_now, scheduled) -> str:
    row = session.get(Preservation, preservation.mention_id)
    found = classify(page, previous)
    capture = None
    if found == "gone":
        outcome = _gone(row, now=now, confirm_now=confirm_now)
        if page.exchange is not None:  # the platform's own "removed" page is evidence too
            capture = store_page(
                session, settings=settings, page=page, mention_id=row.mention_id, kind="recheck", now=now
            )
    elif found in ("blocked", "unavailable"):
        outcome = found
        row.state = row.state if row.state in ("pending", "suspected") else found
        row.next_check_at = (
            now + RETRY_AFTER if row.state in ("pending", "suspected") else _next(row, delays, now, scheduled)
        )
    elif previous is None:
        outcome = "captured"
        capture = store_page(session, settings=settings, page=page, mention_id=row.mention_id, kind="page", now=now)
        row.state, row.page_captured_at, row.suspected_at = "present", now, None
        row.checks_done, row.next_check_at = 0, now + delays[0] if delays else None
    else:
        outcome = found
        if found == "edited":
            capture = store_page(
                session, settings=settings, page=page, mention_id=row.mention_id, kind="recheck", now=now
            )
            row.edited_at = now
        row.state, row.suspected_at = ("edited" if row.edited_at else "present"), None
        row.next_check_at = _next(row, delays, now, scheduled)
    row.attempts += 1
    session.add(row)
    session.add(
        Recheck(
            mention_id=row.mention_id,
            checked_at=now,
            outcome=outcome,
            status=page.status,
            capture_id=capture.id if capture else None,
            detail=text_diff(previous or "", page.text) if outcome == "edited" else "",
        )
    )
    _custody(session, row.mention_id, outcome, capture, status=page.status)
    return outcome


def _custody(session, mention_id: int, outcome: str, capture, *, status: int | None) -> None:
    """The custody log's record of this check: "captured" for the first page capture,
    "rechecked" (with its outcome) for every later one."""
    people = session.exec(select(MentionPerson.person_id).where(MentionPerson.mention_id == mention_id)).all()
    session.flush()  # the capture's id
    subject = f"capture:{capture.id}" if capture is not None else f"mention:{mention_id}"
    kind = "captured" if outcome == "captured" else "rechecked"
    details = None if kind == "captured" else {"outcome": outcome, "status": status, "mention": mention_id}
    append_event(session, kind, "monitor", subject, person_ids=people, details=details)


def _gone(row: Preservation, *, now: datetime, confirm_now: bool) -> str:
    """Suspected the first time; deleted when seen gone again an hour later (or at once when confirming now)."""
    if row.state == "suspected" and row.suspected_at and (confirm_now or now - row.suspected_at >= CONFIRM_AFTER):
        row.state, row.deleted_at, row.next_check_at = "deleted", now, None
        return "deleted"
    row.state, row.suspected_at, row.next_check_at = "suspected", now, now + CONFIRM_AFTER
    return "suspected"


def _next(row: Preservation, delays: list[timedelta], now: datetime, scheduled: bool) -> datetime | None:
    """The next scheduled check: a scheduled run uses one up; a check ahead of schedule (``--now``) does not."""
    if scheduled:
        row.checks_done += 1
    start = row.page_captured_at or now
    upcoming = [start + delay for delay in delays[row.checks_done :] if start + delay > now]
    return upcoming[0] if upcoming else None


def text_diff(before: str, after: str) -> str:
    """A unified diff of two texts, sentence by sentence, capped at ``DIFF_CAP`` characters."""
    lines = difflib.unified_diff(_SENTENCE.split(before), _SENTENCE.split(after), "captured", "now", lineterm="", n=1)
    return "\n".join(lines)[:DIFF_CAP]
