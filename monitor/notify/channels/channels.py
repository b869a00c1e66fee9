"""Which Apprise channels a spike goes to, each channel's URL, and what the message says.

A recipient's ``notify`` references (config) follow the people the recipient follows; an
admin's ``NotifyChannel`` follows its own ``people`` (null: everybody). For a person marked
``private`` every channel gets ``PRIVATE_TITLE`` and a link, never a name or a story title:
channels are third-party services.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor import i18n
from monitor.core.models import Person, Recipient, Spike
from monitor.core.models_notify import NotifyChannel
from monitor.notify.channels import ChannelError, refs, sealing

PREFIX = "apprise:"
# Translated when the message is built, in the language of the channel's recipient.
PRIVATE_TITLE = i18n.N_("A spike for a tracked person — open the monitor")
PRIVATE_PERSON = i18n.N_("a tracked person")


@dataclasses.dataclass(frozen=True)
class Audience:
    """The active recipients and admin channels, read once for a batch of spikes."""

    recipients: list[Recipient]
    stored: list[NotifyChannel]

    @classmethod
    def load(cls, session: Session) -> Audience:
        recipients = session.exec(select(Recipient).where(Recipient.active == sa.true()).order_by(Recipient.id)).all()
        stored = session.exec(
            select(NotifyChannel).where(NotifyChannel.active == sa.true()).order_by(NotifyChannel.id)
        ).all()
        return cls(list(recipients), list(stored))

    def followers(self, person: Person) -> list[Recipient]:
        """The recipients who follow ``person`` (``people`` null: everybody)."""
        return [r for r in self.recipients if _follows(r.people, person)]

    def channels(self, person: Person) -> list[str]:
        """The Apprise channel names (``SpikeAlert.channel``) that alert on ``person``'s spikes."""
        names = [
            f"{PREFIX}r{r.id}:{ref.removeprefix('env:')}" for r in self.followers(person) for ref in r.notify or []
        ]
        return names + [f"{PREFIX}c{c.id}" for c in self.stored if _follows(c.people, person)]


def _follows(people: list[str] | None, person: Person) -> bool:
    return people is None or person.name in people


def url_of(session: Session, channel: str, *, secret_key: str, environ=None) -> str:
    """The URL behind a channel name; ChannelError when it is gone or unreadable."""
    kind, _, rest = channel.removeprefix(PREFIX).partition(":")
    if kind.startswith("c") and kind[1:].isdigit():
        stored = session.get(NotifyChannel, int(kind[1:]))
        if stored is None or not stored.active:
            raise ChannelError("the channel was removed", permanent=True)
        return sealing.unseal(stored.url_sealed, secret_key)
    if (recipient_id := _recipient_id(channel)) is not None and rest:
        recipient = session.get(Recipient, recipient_id)
        if recipient is None or f"env:{rest}" not in (recipient.notify or []):
            raise ChannelError("the recipient no longer has this channel", permanent=True)
        return refs.resolve(f"env:{rest}") if environ is None else refs.resolve(f"env:{rest}", environ)
    raise ChannelError("not an Apprise channel name", permanent=True)


def language_of(session: Session, channel: str) -> str | None:
    """The language of the recipient whose ``notify`` names ``channel``; None for an admin's channel."""
    recipient_id = _recipient_id(channel)
    recipient = session.get(Recipient, recipient_id) if recipient_id is not None else None
    return recipient.language if recipient else None


def _recipient_id(channel: str) -> int | None:
    """The recipient of an ``apprise:r<id>:NAME`` channel; None for an admin's ``apprise:c<id>``."""
    kind = channel.removeprefix(PREFIX).partition(":")[0]
    return int(kind[1:]) if kind.startswith("r") and kind[1:].isdigit() else None


def is_private(session: Session, spike_id: int) -> bool:
    spike = session.get(Spike, spike_id)
    person = session.get(Person, spike.person_id) if spike else None
    return bool(person and person.private)


def redacted(news):
    """``news`` (a ``monitor.notify.alerts.SpikeNews``) without the person's name or any story title."""
    return dataclasses.replace(
        news, person=i18n.gettext(PRIVATE_PERSON), explanation=i18n.gettext("open the monitor"), stories=[], kind=""
    )


def message(news, *, private: bool, base_url: str) -> tuple[str, str]:
    """(title, body) of a channel's alert, plain text, in the language in use (``i18n.use``)."""
    review = f"{base_url.rstrip('/')}/review"
    if private:
        return i18n.gettext(PRIVATE_TITLE), review
    lines = [f"{news.explanation} ({news.kind})"]
    lines += [
        f"- {s['title']} ({s['mentions']}) {base_url.rstrip('/')}/mentions/{s['mention_id']}" for s in news.stories
    ]
    return i18n.gettext("Spike: %(person)s") % {"person": news.person}, "\n".join(lines + [review])
