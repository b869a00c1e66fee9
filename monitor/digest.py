"""The daily digest: one email per recipient listing a local day's mentions and spikes.

A digest covers one calendar day in ``[digest] timezone``: every mention whose
``published_at`` (or ``fetched_at`` when the feed gave no date) falls in that day, of the
people the recipient follows, except dismissed ones, grouped per person; and the spikes
whose hour falls in that day. A day without mentions still sends a short digest, so the
monitor knows the system ran.

Sending once is a claim in the database: ``DigestDelivery`` is unique per (recipient,
day); a process sends only after inserting that row (``ON CONFLICT DO NOTHING``) or
moving it to ``sending`` by a conditional UPDATE. Two processes never send the same
digest, and a failed one is retried by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.config import get_settings
from monitor.db import session_scope
from monitor.mail import MailError, render_email, send_message
from monitor.models import DigestDelivery, Mention, MentionPerson, Person, Recipient, Source, Spike, utcnow
from monitor.store import insert_ignore
from monitor.watchlist import DigestEntry

logger = logging.getLogger(__name__)

SENDING, SENT, FAILED = "sending", "sent", "failed"
# A claim older than this belongs to a process that died mid-send (SMTP times out in 30 s).
STALE_CLAIM = timedelta(minutes=30)
# The scheduler runs every few minutes; a failed digest is retried at most this often.
SCHEDULED_RETRY_AFTER = timedelta(minutes=15)


@dataclass
class Item:
    """One mention as the digest shows it; text fields are raw feed text, ``at`` is local time."""

    id: int
    title: str
    text: str
    url: str | None
    source: str
    at: datetime


@dataclass
class SpikeLine:
    """One flagged hour; ``hour`` is local time."""

    person: str
    hour: datetime
    count: int
    expected: float


@dataclass
class Digest:
    """Everything one recipient's email for one day shows."""

    recipient: str
    day: date
    zone: str
    people: list[str] | None  # None: everyone tracked
    sections: dict[str, list[Item]] = field(default_factory=dict)
    spikes: list[SpikeLine] = field(default_factory=list)

    @property
    def mention_count(self) -> int:
        return len({item.id for items in self.sections.values() for item in items})


def send_digests(
    *, day: date | None, force: bool, digest: DigestEntry, now: datetime | None = None
) -> list[str]:
    """Send ``day``'s digest (default: yesterday in ``digest.timezone``) to every active recipient.

    A recipient who already has it is skipped unless ``force``; a failed or abandoned
    delivery is retried. Returns one report line per recipient.
    """
    now = now or utcnow()
    day = day or yesterday(digest, now)
    recipients = _active_recipients()
    if not recipients:
        return ["no active recipients; add [[recipient]] entries to the config"]
    return [_deliver(r, day, digest, now=now, force=force, failed_before=now)[1] for r in recipients]


def send_due_digests(*, digest: DigestEntry, now: datetime | None = None) -> list[str]:
    """For the scheduler: once local time reaches ``digest.send_at``, send yesterday's digest.

    Does nothing before ``send_at``. Recipients who already have it are skipped silently;
    a failed delivery is retried at most every ``SCHEDULED_RETRY_AFTER``. Returns report
    lines only for deliveries attempted.
    """
    now = now or utcnow()
    if now.astimezone(digest.zone).time() < digest.send_at:
        return []
    day = yesterday(digest, now)
    failed_before = now - SCHEDULED_RETRY_AFTER
    outcomes = [
        _deliver(r, day, digest, now=now, force=False, failed_before=failed_before) for r in _active_recipients()
    ]
    return [line for attempted, line in outcomes if attempted]


def yesterday(digest: DigestEntry, now: datetime) -> date:
    """The last complete local day at ``now`` in the digest's timezone."""
    return now.astimezone(digest.zone).date() - timedelta(days=1)


def day_bounds(day: date, digest: DigestEntry) -> tuple[datetime, datetime]:
    """``[start, end)`` of the local ``day`` in UTC (23 or 25 hours long on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=digest.zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=digest.zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _active_recipients() -> list[Recipient]:
    with session_scope() as session:
        return list(session.exec(select(Recipient).where(Recipient.active == True).order_by(Recipient.id)))  # noqa: E712


_SKIP_REASONS = {SENT: "already sent", SENDING: "being sent by another process", FAILED: "failed; retrying later"}


def _deliver(recipient: Recipient, day: date, digest: DigestEntry, *, now, force, failed_before) -> tuple[bool, str]:
    """Claim, build, send and record one digest; returns (whether a send was attempted, report line)."""
    head = f"{recipient.email} {day.isoformat()}"
    with session_scope() as session:
        claimed = claim(session, recipient_id=recipient.id, day=day, now=now, force=force, failed_before=failed_before)
        status = None if claimed else _status(session, recipient.id, day)
    if not claimed:
        return False, f"{head}: {_SKIP_REASONS.get(status, _SKIP_REASONS[SENDING])}"
    try:
        content = build_digest(recipient=recipient, day=day, digest=digest)
        send_message(render_message(content, now=now))
    except Exception as exc:
        error = exc.message if isinstance(exc, MailError) else f"{type(exc).__name__}: {exc}"
        _record(recipient.id, day, status=FAILED, error=error, now=now)
        logger.warning("digest failed", extra={"recipient": recipient.email, "day": str(day), "error": error})
        if not isinstance(exc, MailError):
            raise
        return True, f"{head}: failed: {error}"
    _record(recipient.id, day, status=SENT, now=now, mentions=content.mention_count, spikes=len(content.spikes))
    return True, f"{head}: sent {_counts(content.mention_count, len(content.spikes))}"


def _counts(mentions: int, spikes: int) -> str:
    return f"{mentions} mention{'' if mentions == 1 else 's'}, {spikes} spike{'' if spikes == 1 else 's'}"


def claim(
    session: Session, *, recipient_id: int, day: date, now: datetime, force: bool, failed_before: datetime
) -> bool:
    """Take the right to send (recipient, day); True when this caller holds it.

    Inserts the delivery row, or moves an existing one to ``sending`` when it failed
    (at or before ``failed_before``), was abandoned mid-send, or — with ``force`` — was sent.
    Writes come first so that SQLite takes its write lock before reading anything.
    """
    row = {"recipient_id": recipient_id, "day": day, "status": SENDING, "claimed_at": now,
           "mention_count": 0, "spike_count": 0}
    if insert_ignore(session, DigestDelivery, [row], keys=["recipient_id", "day"]):
        return True
    reclaimable = [
        sa.and_(DigestDelivery.status == FAILED, DigestDelivery.claimed_at <= failed_before),
        sa.and_(DigestDelivery.status == SENDING, DigestDelivery.claimed_at < now - STALE_CLAIM),
    ]
    if force:
        reclaimable.append(DigestDelivery.status == SENT)
    statement = (
        sa.update(DigestDelivery)
        .where(DigestDelivery.recipient_id == recipient_id, DigestDelivery.day == day, sa.or_(*reclaimable))
        .values(status=SENDING, claimed_at=now, error=None)
    )
    return session.execute(statement).rowcount == 1


def _status(session: Session, recipient_id: int, day: date) -> str | None:
    statement = select(DigestDelivery.status).where(
        DigestDelivery.recipient_id == recipient_id, DigestDelivery.day == day
    )
    return session.exec(statement).first()


def _record(recipient_id: int, day: date, *, status: str, now: datetime, error: str | None = None,
            mentions: int = 0, spikes: int = 0) -> None:
    values = {"status": status, "error": error, "mention_count": mentions, "spike_count": spikes}
    if status == SENT:
        values["sent_at"] = now
    statement = (
        sa.update(DigestDelivery)
        .where(DigestDelivery.recipient_id == recipient_id, DigestDelivery.day == day)
        .values(**values)
    )
    with session_scope() as session:
        session.execute(statement)


def build_digest(*, recipient: Recipient, day: date, digest: DigestEntry) -> Digest:
    """Collect what ``recipient``'s digest for the local ``day`` shows."""
    start, end = day_bounds(day, digest)
    content = Digest(recipient=recipient.email, day=day, zone=digest.timezone, people=recipient.people)
    with session_scope() as session:
        people = _people(session, recipient.people)
        content.sections = _mentions(session, people, start, end, digest)
        content.spikes = _spikes(session, people, start, end, digest)
    return content


def _people(session: Session, names: list[str] | None) -> dict[int, str]:
    statement = select(Person.id, Person.name).where(Person.active == True)  # noqa: E712
    if names is not None:
        statement = statement.where(Person.name.in_(names))
    return dict(session.exec(statement).all())


def _mentions(session: Session, people: dict[int, str], start: datetime, end: datetime, digest: DigestEntry):
    at = sa.func.coalesce(Mention.published_at, Mention.fetched_at)
    statement = (
        select(Mention, MentionPerson.person_id, Source.name, at.label("at"))
        .join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(MentionPerson.person_id.in_(list(people)), Mention.status != "dismissed")
        .where(at >= start, at < end)
        .order_by(at, Mention.id)
    )
    sections: dict[str, list[Item]] = {name: [] for name in sorted(people.values())}
    for mention, person_id, source, when in session.exec(statement):
        item = Item(mention.id, mention.title, mention.text, mention.url, source or "", when.astimezone(digest.zone))
        sections[people[person_id]].append(item)
    return {name: items for name, items in sections.items() if items}


def _spikes(session: Session, people: dict[int, str], start: datetime, end: datetime, digest: DigestEntry):
    statement = (
        select(Spike)
        .where(Spike.person_id.in_(list(people)), Spike.hour >= start, Spike.hour < end)
        .order_by(Spike.hour, Spike.person_id)
    )
    return [
        SpikeLine(people[s.person_id], s.hour.astimezone(digest.zone), s.count, s.expected)
        for s in session.exec(statement)
    ]


def render_message(content: Digest, *, now: datetime) -> EmailMessage:
    """The multipart (text + HTML) email for one digest."""
    settings = get_settings()
    review_url = settings.base_url.rstrip("/") + "/review"
    subject, text, html = render_email("digest", digest=content, review_url=review_url)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.digest_from
    msg["To"] = content.recipient
    msg["Date"] = format_datetime(now.astimezone(timezone.utc))
    msg["Message-ID"] = make_msgid("digest", domain=settings.digest_from.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
