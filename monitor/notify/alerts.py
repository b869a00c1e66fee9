"""Immediate spike alerts: an email to each recipient who follows the person, and an optional webhook.

Each (spike, channel) is one ``SpikeAlert`` row; channels are ``email:<recipient id>`` and
``webhook``. Inserting the row (``ON CONFLICT DO NOTHING``) is the claim, so two workers
never send the same alert; the claim is committed before anything is sent. A channel
that fails is marked ``failed`` and ``retry_failed_alerts`` claims it back alone with a
conditional UPDATE (``failed`` -> ``sending``), so a failing webhook never re-sends the
email. A spike a reviewer marked as expected sends nothing more, and a per-kind spike
folded under the person's whole-volume spike (``monitor.core.storage.spike_groups``) sends nothing:
the person's spike already told the story. Errors::

    AlertError(message)     one line: which channel failed and why
      raised by deliver(); recorded on the SpikeAlert row, never raised to the caller
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from monitor import i18n
from monitor.core import db
from monitor.core.models import Mention, MentionPerson, Person, Recipient, Source, Spike, SpikeAlert, utcnow
from monitor.core.settings import Settings, get_settings
from monitor.core.storage import deliveries as ledger
from monitor.core.storage import insert_ignore
from monitor.core.storage.backfill import opened_live
from monitor.core.storage.deliveries import FAILED, SENDING, SENT
from monitor.core.storage.spike_groups import overlaps, window
from monitor.core.storage.spike_state import ALL_KINDS
from monitor.notify.channels import channels as apprise_channels
from monitor.notify.channels.send import send as send_apprise
from monitor.notify.mail import MailError, build_message, oneline, send_message
from monitor.spikes.sensitivity import muted

log = logging.getLogger(__name__)
WEBHOOK = "webhook"
TOP_CLUSTERS = 3
# A claim still "sending" after this belongs to a process that died mid-send (SMTP and the
# webhook time out well within it): the retry claims it back, so the alert is not lost.
STALE_CLAIM = timedelta(minutes=10)


class AlertError(Exception):
    """Delivering one alert on one channel failed; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SpikeNews:
    """What an alert says about a spike: who, when, how much, and the top stories in it."""

    spike_id: int
    person: str
    kind: str
    start: datetime
    peak: datetime | None
    end: datetime | None
    observed: int
    expected: float
    score: float
    p_value: float | None
    explanation: str
    stories: list[dict]
    window: str = ""  # the flagged window's real time, "14:00–15:00 UTC on 10 Mar 2025"

    def payload(self, base_url: str) -> dict:
        """The webhook's JSON body; ``text`` is what chat webhooks show."""
        stamp = lambda t: t.isoformat() if t else None  # noqa: E731
        return {
            "text": f"Spike: {self.person} — {self.explanation}",
            "spike_id": self.spike_id,
            "person": self.person,
            "kind": self.kind,
            "start": stamp(self.start),
            "peak": stamp(self.peak),
            "end": stamp(self.end),
            "observed": self.observed,
            "expected": round(self.expected, 3),
            "score": round(self.score, 3),
            "p_value": self.p_value,
            "top_clusters": [
                dict(s, review_url=f"{base_url.rstrip('/')}/mentions/{s['mention_id']}") for s in self.stories
            ],
            "window": self.window,
            "url": f"{base_url.rstrip('/')}/review",
        }


def send_spike_alerts(spike_ids: list[int], *, now: datetime | None = None, settings: Settings | None = None) -> int:
    """Claim and send every channel of each new spike; returns how many alerts were sent.

    Safe to call twice or from two workers at once: a channel already claimed is skipped.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    sent = 0
    channels = _channels(spike_ids, settings) if spike_ids else {}
    for spike_id in spike_ids:
        for channel in channels.get(spike_id, []):
            with db.session_scope(settings.database_url) as session:
                won = insert_ignore(
                    session,
                    SpikeAlert,
                    [dict(spike_id=spike_id, channel=channel, status=SENDING, attempts=1, claimed_at=now)],
                    keys=["spike_id", "channel"],
                )
            if won:
                sent += _attempt(won[0], spike_id, channel, now, settings)
    return sent


def retry_failed_alerts(*, now: datetime | None = None, settings: Settings | None = None) -> int:
    """Claim back each failed alert (under the attempt limit), and each claim stuck in ``sending``
    past ``STALE_CLAIM``, and send it alone; returns how many were sent."""
    settings = settings or get_settings()
    now = now or utcnow()
    retry = _retryable(now, settings)
    with db.session_scope(settings.database_url) as session:
        failed = session.exec(
            select(SpikeAlert.id, SpikeAlert.spike_id, SpikeAlert.channel)
            .join(Spike, Spike.id == SpikeAlert.spike_id)
            .where(retry, Spike.expected_by_reviewer == sa.false())
        ).all()
    sent = 0
    for alert_id, spike_id, channel in failed:
        with db.session_scope(settings.database_url) as session:
            won = ledger.claim(
                session,
                SpikeAlert,
                where=sa.and_(SpikeAlert.id == alert_id, retry),
                now=now,
                values={"attempts": SpikeAlert.attempts + 1},
            )
        if won:
            sent += _attempt(alert_id, spike_id, channel, now, settings)
    return sent


def _retryable(now: datetime, settings: Settings):
    """Alerts to claim back: failed under the attempt limit, or abandoned mid-send."""
    # The attempt limit holds for abandoned claims too: a send that kills its process is not retried forever.
    return sa.and_(
        SpikeAlert.attempts < settings.alert_max_attempts,
        ledger.reclaimable(SpikeAlert, now=now, stale_after=STALE_CLAIM),
    )


def _channels(spike_ids: list[int], settings: Settings) -> dict[int, list[str]]:
    """Each alertable spike's channels, in one session (a first poll may open hundreds of spikes)."""
    found: dict[int, list[str]] = {}
    webhook = [WEBHOOK] if settings.alert_webhook_url else []
    with db.session_scope(settings.database_url) as session:
        audience = apprise_channels.Audience.load(session)
        for spike_id in spike_ids:
            spike = session.get(Spike, spike_id)
            person = session.get(Person, spike.person_id) if spike else None
            if person is None or not alertable(session, spike):
                continue
            emails = [f"email:{r.id}" for r in audience.followers(person)]
            found[spike_id] = emails + audience.channels(person) + webhook  # issue 21: chats through Apprise
    return found


def alertable(session: Session, spike: Spike) -> bool:
    """Whether a spike still alerts: not marked expected, seen live rather than backfilled
    (``opened_live``), its person not muted, and not folded under a person's spike."""
    if spike.expected_by_reviewer or not opened_live(session, spike):
        return False
    person = session.get(Person, spike.person_id)
    if person is not None and muted(person.mute_until, utcnow()):  # issue 19: spikes shown, not sent
        return False
    if spike.source_kind == ALL_KINDS:
        return True
    start, end = window(spike)
    hosts = session.exec(
        select(Spike).where(
            Spike.person_id == spike.person_id,
            Spike.source_kind == ALL_KINDS,
            Spike.hour < end,
            Spike.hour >= start - timedelta(days=7),
        )
    ).all()
    return not any(overlaps(host, spike) for host in hosts)


def _attempt(alert_id: int, spike_id: int, channel: str, now: datetime, settings: Settings) -> int:
    """Deliver one claimed alert and record the outcome; 1 when sent. Never raises: one broken
    channel must not leave its claim in ``sending`` or keep the other followers unalerted."""
    try:
        deliver(spike_id, channel, settings=settings, now=now)
    except Exception as exc:  # noqa: BLE001 (recorded on the row; the other channels go on)
        error = str(exc) if isinstance(exc, AlertError) else f"{channel}: {type(exc).__name__}: {exc}"
        log.warning("spike alert failed", extra={"spike_id": spike_id, "channel": channel, "error": error})
        # A permanent failure (a malformed address) uses up the attempts: a retry cannot help.
        attempts = settings.alert_max_attempts if getattr(exc, "permanent", False) else SpikeAlert.attempts
        _record(alert_id, settings, status=FAILED, error=error, attempts=attempts)
        return 0
    _record(alert_id, settings, status=SENT, error=None, sent_at=now)
    log.info("spike alert sent", extra={"spike_id": spike_id, "channel": channel})
    return 1


def _record(alert_id: int, settings: Settings, **values) -> None:
    with db.session_scope(settings.database_url) as session:
        session.execute(sa.update(SpikeAlert).where(SpikeAlert.id == alert_id).values(**values))


def deliver(spike_id: int, channel: str, *, settings: Settings, now: datetime | None = None) -> None:
    """Send one spike's alert on one channel; raises AlertError with a one-line reason."""
    with db.session_scope(settings.database_url) as session:
        email = language = None
        if channel.startswith("email:"):
            recipient = session.get(Recipient, int(channel.split(":", 1)[1]))
            email, language = (recipient.email, recipient.language) if recipient else (None, None)
        elif channel.startswith(apprise_channels.PREFIX):
            language = apprise_channels.language_of(session, channel)  # a recipient's chat: their language
        private = apprise_channels.is_private(session, spike_id)  # issue 21: no name leaves the monitor
        with i18n.use(language):  # the explanation in the recipient's language (else English)
            news = spike_news(session, spike_id=spike_id)
            news = apprise_channels.redacted(news) if private else news
        if channel.startswith(apprise_channels.PREFIX):
            url = apprise_channels.url_of(session, channel, secret_key=settings.resolved_secret_key())
    if channel.startswith(apprise_channels.PREFIX):  # raises ChannelError, recorded as AlertError is
        with i18n.use(language):
            title, body = apprise_channels.message(news, private=private, base_url=settings.base_url)
        return send_apprise(
            url, title=title, body=body, proxy_url=settings.proxy_url, timeout=settings.alert_webhook_timeout
        )
    if channel == WEBHOOK:
        return _post_webhook(news, settings)
    if email is None:
        raise AlertError(f"{channel}: the recipient no longer exists")
    try:
        with i18n.use(language):  # the template's words in the recipient's language
            message = alert_email(news, to=email, settings=settings, now=now or utcnow())
        send_message(message, settings=settings)
    except MailError as exc:
        raise AlertError(f"{channel}: {exc.message}", exc.permanent) from exc


def _post_webhook(news: SpikeNews, settings: Settings) -> None:
    try:
        response = httpx.post(
            settings.alert_webhook_url, json=news.payload(settings.base_url), timeout=settings.alert_webhook_timeout
        )
    except httpx.HTTPError as exc:
        raise AlertError(f"webhook: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise AlertError(f"webhook: the server answered HTTP {response.status_code}")


def spike_news(session: Session, *, spike_id: int) -> SpikeNews:
    """A spike with its person, its flagged window's real time and the top clusters inside it."""
    spike = session.get(Spike, spike_id)
    person = session.get(Person, spike.person_id)
    kind = spike.kind if spike.source_kind == ALL_KINDS else f"{spike.kind} in {spike.source_kind} sources"
    when = window_text(spike.hour, spike.hour + timedelta(seconds=spike.bucket_seconds or 3600))
    return SpikeNews(
        spike.id,
        person.name,
        kind,
        spike.hour,
        spike.peak_at,
        spike.end_at,
        spike.count,
        spike.expected,
        spike.score,
        spike.p_value,
        i18n.gettext("%(mentions)s %(window)s, usually %(usual)s")
        % {"mentions": _mentions(spike.count), "window": when, "usual": _usual(spike.expected)},
        top_stories(session, spike=spike),
        when,
    )


def window_text(start: datetime, end: datetime) -> str:
    """When a window was, in UTC: "14:00–15:00 UTC on 10 Mar 2025", or with both dates when
    it spans midnight. An alert says when the mentions were, never "in the last hour": they
    may have been published long before the poll that found them."""
    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    day = lambda t: i18n.format_date(t, "d MMM y")  # noqa: E731  (in the language in use)
    if start.date() == (end - timedelta(microseconds=1)).date():
        return i18n.gettext("%(start)s–%(end)s UTC on %(day)s") % {
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
            "day": day(start),
        }
    return i18n.gettext("%(start)s on %(start_day)s – %(end)s on %(end_day)s UTC") % {
        "start": f"{start:%H:%M}",
        "start_day": day(start),
        "end": f"{end:%H:%M}",
        "end_day": day(end),
    }


def _mentions(count: int) -> str:
    return i18n.ngettext("%(num)d mention", "%(num)d mentions", count) % {"num": count}


def _usual(expected: float) -> str:
    return f"{expected:.1f}".rstrip("0").rstrip(".") if expected < 10 else f"{expected:.0f}"


def top_stories(session: Session, *, spike: Spike, limit: int = TOP_CLUSTERS) -> list[dict]:
    """The clusters with most mentions of the spike's series (person, and kind) in its window, largest first."""
    end = window(spike)[1]
    when = Mention.at
    story = sa.func.coalesce(Mention.cluster_id, -Mention.id)
    statement = (
        sa.select(story.label("story"), sa.func.count().label("n"), sa.func.min(Mention.id).label("first"))
        .join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .where(MentionPerson.person_id == spike.person_id, when >= spike.hour, when < end)
    )
    if spike.source_kind != ALL_KINDS:
        statement = statement.join(Source, Source.id == Mention.source_id).where(Source.kind == spike.source_kind)
    rows = session.execute(statement.group_by(story).order_by(sa.desc("n"), "first").limit(limit)).all()
    stories = []
    for _, count, first in rows:
        mention = session.get(Mention, first)
        # oneline: feed text without bidi or control characters, for the webhook as for the email.
        stories.append(
            {
                "title": oneline(mention.title or mention.text)[:200],
                "url": mention.url,
                "mentions": count,
                "mention_id": first,
            }
        )  # its permalink page: MONITOR_BASE_URL/mentions/{id}
    return stories


def alert_email(news: SpikeNews, *, to: str, settings: Settings, now: datetime) -> EmailMessage:
    """The alert email, from the ``alert`` templates by the one message builder; raises a
    permanent ``MailError`` when ``to`` is not one plain address."""
    review_url = f"{settings.base_url.rstrip('/')}/review"
    mentions_url = f"{settings.base_url.rstrip('/')}/mentions"  # + "/{id}": a mention's permalink page
    return build_message(
        "alert", to=to, now=now, settings=settings, news=news, review_url=review_url, mentions_url=mentions_url
    )
