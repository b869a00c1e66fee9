"""Sending each recipient's digest exactly once per local day, and retrying failures alone.

Sending once is a claim in the database: ``DigestDelivery`` is unique per (recipient,
day, channel) — "email", or each ``notify`` channel of a recipient whose ``digest_to`` has
"notify" (issue 21), so a failing chat never re-sends the e-mail; a process sends only after inserting that row (``ON CONFLICT DO NOTHING``) or
moving it to ``sending`` by a conditional UPDATE, and marks it ``sent`` or ``failed``
after. A failure is that recipient's alone: its row gets ``retry_at`` (backing off
``RETRY_BASE`` · 2ⁿ up to ``RETRY_MAX``) and the scheduler claims only that row again;
rows already ``sent`` are never re-sent except with ``force``.

The scheduler sends each recipient the latest day whose ``send_at`` (in that recipient's
timezone) has passed. A run missed while the machine was off is therefore caught up by
the first run after start, once, and a recipient never receives the same day twice.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor import i18n
from monitor.core.config_file import DigestEntry
from monitor.core.db import session_scope
from monitor.core.models import DigestDelivery, Recipient, utcnow
from monitor.core.storage import deliveries as ledger
from monitor.core.storage import insert_ignore
from monitor.core.storage.deliveries import FAILED, SENDING, SENT
from monitor.notify.channels import ChannelError
from monitor.notify.digest import chat
from monitor.notify.digest.content import Digest, DigestBuilder
from monitor.notify.digest.message import links, render_message
from monitor.notify.mail import MailError, oneline, send_message

logger = logging.getLogger(__name__)

# A claim older than this belongs to a process that died mid-send (SMTP times out in 30 s).
STALE_CLAIM = timedelta(minutes=30)
RETRY_BASE = timedelta(minutes=10)
RETRY_MAX = timedelta(hours=6)
MAX_SCHEDULED_ATTEMPTS = 8  # then only `monitor digest send` retries it
NOT_ENDED = "not sent: the day has not ended"  # the report line of a refused day
EMAIL = "email"  # the e-mail's channel; the others are Apprise channel names (monitor.notify.digest.chat)
_SKIP_REASONS = {SENT: "already sent", SENDING: "being sent by another process", FAILED: "failed; retrying later"}


def send_digests(*, day: date | None, force: bool, digest: DigestEntry, now: datetime | None = None) -> list[str]:
    """Send ``day``'s digest (default: each recipient's yesterday) to every active recipient.

    A recipient who already has it is skipped unless ``force``; a failed or abandoned
    delivery is retried at once. Returns one report line per recipient and channel.
    """
    now = now or utcnow()
    recipients = active_recipients()
    if not recipients:
        return ["no active recipients; add [[recipient]] entries to the config"]
    lines = []
    with session_scope() as session:
        builder = DigestBuilder(session)
        for r in recipients:
            zone = zone_of(r, digest)
            outcomes = _deliver(builder, r, day or yesterday(zone, now), zone, now=now, force=force, backoff=False)
            lines += [line for _, line in outcomes]
    return lines


def send_due_digests(*, digest: DigestEntry, now: datetime | None = None) -> list[str]:
    """For the scheduler: send each recipient the latest local day whose ``send_at`` has passed.

    Recipients who already have it are skipped silently; a failed delivery is retried
    when its backoff has elapsed. Returns report lines only for deliveries attempted.
    """
    now = now or utcnow()
    lines = []
    with session_scope() as session:
        builder = DigestBuilder(session)
        for recipient in active_recipients():
            zone = zone_of(recipient, digest)
            day = due_day(zone, digest, now)
            outcomes = _deliver(builder, recipient, day, zone, now=now, force=False, backoff=True)
            lines += [line for attempted, line in outcomes if attempted]
    return lines


def yesterday(zone: ZoneInfo, now: datetime) -> date:
    """The last complete local day at ``now`` in ``zone``."""
    return now.astimezone(zone).date() - timedelta(days=1)


def due_day(zone: ZoneInfo, digest: DigestEntry, now: datetime) -> date:
    """The latest day whose digest was due (``send_at`` on the next local day) at or before ``now``."""
    local = now.astimezone(zone).replace(tzinfo=None)
    since_send_at = local - timedelta(hours=digest.send_at.hour, minutes=digest.send_at.minute)
    return since_send_at.date() - timedelta(days=1)


def day_has_ended(day: date, zone: ZoneInfo, now: datetime) -> bool:
    """True when local midnight after ``day`` in ``zone`` is at or before ``now``."""
    return day < now.astimezone(zone).date()


def zone_of(recipient: Recipient, digest: DigestEntry) -> ZoneInfo:
    """The recipient's own timezone, else the ``[digest]`` one."""
    return ZoneInfo(recipient.timezone) if recipient.timezone else digest.zone


def active_recipients() -> list[Recipient]:
    """Recipients that are active and have not unsubscribed, oldest first."""
    with session_scope() as session:
        statement = (
            select(Recipient)
            .where(Recipient.active == True, Recipient.unsubscribed_at == None)  # noqa: E711,E712
            .order_by(Recipient.id)
        )
        return list(session.exec(statement))


def _deliver(builder: DigestBuilder, recipient: Recipient, day: date, zone: ZoneInfo, *, now, force, backoff):
    """Each delivery of one recipient's digest: the e-mail and, with ``digest_to`` "notify", each
    ``notify`` channel, every one claimed on its own; returns (whether attempted, report line)s."""
    head = f"{oneline(recipient.email)} {day.isoformat()}"
    if not force and not day_has_ended(day, zone, now):
        # Sending it would mail a partial day and mark the day sent, so its real digest never goes.
        return [(False, f"{head}: {NOT_ENDED} in {zone.key}; --force sends it anyway")]
    # Built once, and only when some channel of the recipient is claimed.
    content = functools.cache(lambda: builder.build(email=recipient.email, people=recipient.people, day=day, zone=zone))
    routes = recipient.digest_to or [EMAIL]
    outcomes = []
    if EMAIL in routes:
        outcomes.append(_deliver_one(recipient, EMAIL, day, content, head=head, now=now, force=force, backoff=backoff))
    if "notify" in routes:
        for channel in chat.channels_of(recipient):
            label = f"{head} {chat.label(channel)}"
            outcomes.append(
                _deliver_one(recipient, channel, day, content, head=label, now=now, force=force, backoff=backoff)
            )
    return outcomes


def _deliver_one(recipient: Recipient, channel: str, day: date, content, *, head: str, now, force, backoff):
    """Claim, build, send and record one delivery; returns (whether a send was attempted, report line)."""
    with session_scope() as session:
        claimed = claim(
            session, recipient_id=recipient.id, day=day, now=now, force=force, backoff=backoff, channel=channel
        )
        status = None if claimed else _status(session, recipient.id, day, channel)
    if not claimed:
        return False, f"{head}: {_SKIP_REASONS.get(status, _SKIP_REASONS[SENDING])}"
    try:
        digest = links(content(), recipient_id=recipient.id)
        if channel == EMAIL:
            with i18n.use(recipient.language):  # the recipient's [[recipient]] language
                message = render_message(digest, now=now)
            send_message(message)
        else:
            chat.send(digest, channel=channel, language=recipient.language)
    except Exception as exc:
        error = exc.message if isinstance(exc, MailError) else str(exc) if isinstance(exc, ChannelError) else None
        error = error or f"{type(exc).__name__}: {exc}"
        _record_failure(recipient.id, day, channel, error=error, now=now)
        logger.warning(
            "digest failed", extra={"recipient": recipient.email, "day": str(day), "channel": channel, "error": error}
        )
        if not isinstance(exc, (MailError, ChannelError)):
            raise
        return True, f"{head}: failed: {error}"
    _record_sent(recipient.id, day, channel, now=now, content=digest)
    return True, f"{head}: sent {_counts(digest.mention_count, len(digest.spikes))}"


def _counts(mentions: int, spikes: int) -> str:
    return f"{mentions} mention{'' if mentions == 1 else 's'}, {spikes} spike{'' if spikes == 1 else 's'}"


def claim(
    session: Session,
    *,
    recipient_id: int,
    day: date,
    now: datetime,
    force: bool,
    backoff: bool,
    channel: str = "email",
) -> bool:
    """Take the right to send (recipient, day) on ``channel``; True when this caller holds it.

    Inserts the delivery row, or moves an existing one to ``sending`` when it failed
    (and, with ``backoff``, its ``retry_at`` has come), was abandoned mid-send, or — with
    ``force`` — was sent. Writes come first so SQLite takes its write lock before reading.
    """
    row = {
        "recipient_id": recipient_id,
        "day": day,
        "channel": channel,
        "status": SENDING,
        "claimed_at": now,
        "mention_count": 0,
        "spike_count": 0,
        "attempts": 0,
    }
    if insert_ignore(session, DigestDelivery, [row], keys=["recipient_id", "day", "channel"]):
        return True
    back = ledger.reclaimable(
        DigestDelivery,
        now=now,
        stale_after=STALE_CLAIM,
        resend=force,
        retry_due=backoff,
        max_attempts=MAX_SCHEDULED_ATTEMPTS if backoff else None,
    )
    where = sa.and_(_row(recipient_id, day, channel), back)
    return ledger.claim(session, DigestDelivery, where=where, now=now, values={"error": None})


def retry_delay(attempts: int) -> timedelta:
    """How long the scheduler waits before the next try after ``attempts`` failures."""
    return min(RETRY_BASE * 2 ** max(0, attempts - 1), RETRY_MAX)


def _row(recipient_id: int, day: date, channel: str):
    return sa.and_(
        DigestDelivery.recipient_id == recipient_id, DigestDelivery.day == day, DigestDelivery.channel == channel
    )


def _status(session: Session, recipient_id: int, day: date, channel: str) -> str | None:
    return session.exec(select(DigestDelivery.status).where(_row(recipient_id, day, channel))).first()


def _record_failure(recipient_id: int, day: date, channel: str, *, error: str, now: datetime) -> None:
    with session_scope() as session:
        attempts = session.exec(select(DigestDelivery.attempts).where(_row(recipient_id, day, channel))).one() + 1
        values = {"status": FAILED, "error": error, "attempts": attempts, "retry_at": now + retry_delay(attempts)}
        session.execute(sa.update(DigestDelivery).where(_row(recipient_id, day, channel)).values(**values))


def _record_sent(recipient_id: int, day: date, channel: str, *, now: datetime, content: Digest) -> None:
    values = {
        "status": SENT,
        "error": None,
        "sent_at": now,
        "retry_at": None,
        "mention_count": content.mention_count,
        "spike_count": len(content.spikes),
    }
    with session_scope() as session:
        session.execute(sa.update(DigestDelivery).where(_row(recipient_id, day, channel)).values(**values))
