"""The daily digest's day (Moscow), factories for what it reports, and sending it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone

from sqlmodel import select

from monitor.core.config_file import DigestEntry
from monitor.core.db import session_scope
from monitor.core.models import (
    Cluster,
    DigestDelivery,
    Mention,
    MentionPerson,
    Person,
    Recipient,
    Source,
    Spike,
)
from monitor.notify.digest import send_digests

DAY = date(2026, 11, 22)


MOSCOW = DigestEntry(timezone="Europe/Moscow", send_at=time(8, 0))


# Europe/Moscow is UTC+3 all year: 2026-11-22 there is [21 Nov 21:00Z, 22 Nov 21:00Z).
DAY_START = datetime(2026, 11, 21, 21, 0, tzinfo=timezone.utc)


NOON = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


NEXT_MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)  # 09:00 in Moscow


def add(row):
    from monitor.core.settings import get_settings

    with session_scope(get_settings().database_url) as session:
        session.add(row)
        session.flush()
        session.refresh(row)
    return row


def make_person(name: str = "Vladimir Vorontsov") -> Person:
    return add(Person(name=name))


def make_source(name: str = "Example News") -> Source:
    return add(Source(url=f"https://example.org/{uuid.uuid4().hex}.xml", name=name))


def make_mention(
    source: Source,
    people: list[Person],
    *,
    title: str,
    published_at=NOON,
    fetched_at=None,
    status: str = "new",
    url: str | None = "https://example.org/story",
    text: str = "",
    cluster: Cluster | None = None,
) -> Mention:
    mention = add(
        Mention(
            source_id=source.id,
            guid=uuid.uuid4().hex,
            title=title,
            text=text,
            url=url,
            published_at=published_at,
            fetched_at=fetched_at or NOON,
            status=status,
            cluster_id=cluster.id if cluster else None,
        )
    )
    for person in people:
        add(MentionPerson(mention_id=mention.id, person_id=person.id, alias=person.name))
    return mention


def make_recipient(
    email: str = "desk@example.org", people: list[str] | None = None, active: bool = True, timezone: str | None = None
) -> Recipient:
    return add(Recipient(email=email, people=people, active=active, timezone=timezone))


def make_cluster() -> Cluster:
    return add(Cluster(key=uuid.uuid4().hex))


def make_story(source: Source, people: list[Person], *, title: str, copies: int) -> Cluster:
    """One story told ``copies`` times (one cluster) at noon."""
    cluster = make_cluster()
    for _ in range(copies):
        make_mention(source, people, title=title, cluster=cluster)
    return cluster


def sections(text: str) -> tuple[str, str]:
    """A one-person digest's text split at its Solidarity heading: (top stories, solidarity)."""
    return text[text.index("Top stories:") : text.index("Solidarity:")], text[text.index("Solidarity:") :]


def make_spike(person: Person, hour: datetime, count: int = 40) -> Spike:
    return add(Spike(person_id=person.id, hour=hour, count=count, expected=3.5, score=9.0))


def deliveries() -> list[DigestDelivery]:
    from monitor.core.settings import get_settings

    with session_scope(get_settings().database_url) as session:
        return list(session.exec(select(DigestDelivery).order_by(DigestDelivery.recipient_id)))


def bodies(sink, to: str) -> list[tuple[str, str, str]]:
    """(subject, text, html) of every message ``sink`` received for ``to``."""
    found = []
    for envelope, msg in zip(sink.envelopes, sink.messages()):
        if to in envelope.rcpt_tos:
            text = msg.get_body(("plain",)).get_content()
            found.append((msg["Subject"], text, msg.get_body(("html",)).get_content()))
    return found


def send(**kwargs) -> list[str]:
    return send_digests(**{"day": DAY, "force": False, "digest": MOSCOW, **kwargs})
