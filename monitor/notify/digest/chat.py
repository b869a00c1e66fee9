"""The digest as a short chat message, for a recipient whose ``digest_to`` has "notify" (issue 21).

A few lines in the recipient's language: the day's counts, the most mentioned people and a
link to the monitor, sent to each of the recipient's ``notify`` channels through the one
Apprise send path (``monitor.notify.channels.send``: ``MONITOR_PROXY_URL`` honoured). Chat
services are third parties, so a person marked ``private`` is "a tracked person" there.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from monitor import i18n
from monitor.core.db import session_scope
from monitor.core.models import Person, Recipient
from monitor.core.settings import get_settings
from monitor.notify.channels import channels as apprise_channels
from monitor.notify.channels.send import send as send_apprise
from monitor.notify.digest.content import Digest

TOP_PEOPLE = 5  # a chat message is read on a phone: the rest are a count and the link


def channels_of(recipient: Recipient) -> list[str]:
    """The recipient's Apprise channel names, as spike alerts name them (``apprise:r<id>:<NAME>``)."""
    return [f"{apprise_channels.PREFIX}r{recipient.id}:{ref.removeprefix('env:')}" for ref in recipient.notify or []]


def label(channel: str) -> str:
    """How a report line names a channel: its environment variable, never the URL (it holds a token)."""
    return "notify " + channel.partition(":")[2].partition(":")[2]


def text(content: Digest, *, private: set[str]) -> tuple[str, str]:
    """(title, body) of the digest in the language in use; names in ``private`` never appear."""
    title = i18n.gettext("Mention monitor digest for %(day)s") % {"day": i18n.format_date(content.day, "long")}
    lines = [content.summary]
    ranked = content.sections + content.rows
    for section in ranked[:TOP_PEOPLE]:
        name = i18n.gettext("a tracked person") if section.name in private else section.name
        line = i18n.ngettext("%(name)s: %(num)d mention", "%(name)s: %(num)d mentions", section.count)
        line = line % {"name": name, "num": section.count}
        if section.spikes:
            spikes = len(section.spikes)
            line += ", " + i18n.ngettext("%(num)d spike", "%(num)d spikes", spikes) % {"num": spikes}
        lines.append(f"- {line}")
    more = max(0, len(ranked) - TOP_PEOPLE) + content.rows_more
    if more:
        lines.append(i18n.ngettext("and %(num)d more person", "and %(num)d more people", more) % {"num": more})
    lines.append(i18n.gettext("Open the monitor: %(url)s") % {"url": content.review_url})
    return title, "\n".join(lines)


def private_names() -> set[str]:
    """The names of the people marked ``private``."""
    with session_scope() as session:
        return set(session.exec(select(Person.name).where(Person.private == sa.true())))


def send(content: Digest, *, channel: str, language: str | None) -> None:
    """Deliver ``content`` to one channel; raises ChannelError with a one-line reason."""
    settings = get_settings()
    with session_scope() as session:
        url = apprise_channels.url_of(session, channel, secret_key=settings.resolved_secret_key())
    with i18n.use(language):
        title, body = text(content, private=private_names())
    send_apprise(url, title=title, body=body, proxy_url=settings.proxy_url, timeout=settings.alert_webhook_timeout)
