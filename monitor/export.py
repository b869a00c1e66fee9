"""``monitor export mentions``: one record per stored mention, as JSON lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from sqlmodel import select

from monitor import db
from monitor.models import Mention, MentionPerson, Person, Source

FIELDS = ["id", "source", "url", "canonical_url", "title", "text", "published_at", "fetched_at", "people", "cluster_id"]
BATCH = 500


def mention_records(*, since: datetime | None = None) -> Iterator[dict]:
    """Stored mentions oldest first, each with its source name and people's names."""
    with db.session_scope() as session:
        statement = select(Mention, Source.name).join(Source, Source.id == Mention.source_id).order_by(Mention.id)
        if since is not None:
            statement = statement.where(Mention.fetched_at >= since)
        people = _people_by_mention(session)
        for mention, source_name in session.exec(statement).yield_per(BATCH):
            yield {
                "id": mention.id, "source": source_name, "url": mention.url,
                "canonical_url": mention.canonical_url, "title": mention.title, "text": mention.text,
                "published_at": _iso(mention.published_at), "fetched_at": _iso(mention.fetched_at),
                "people": people.get(mention.id, []), "cluster_id": mention.cluster_id,
            }


def _people_by_mention(session) -> dict[int, list[str]]:
    rows = session.exec(
        select(MentionPerson.mention_id, Person.name).join(Person).order_by(MentionPerson.mention_id, Person.name)
    )
    found: dict[int, list[str]] = {}
    for mention_id, name in rows:
        found.setdefault(mention_id, []).append(name)
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_mentions(out: TextIO, *, fmt: str = "jsonl", since: datetime | None = None) -> int:
    """Write every mention (fetched at or after ``since``) to ``out``; return how many."""
    count = 0
    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
    for record in mention_records(since=since):
        if writer:
            writer.writerow({**record, "people": ";".join(record["people"])})
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
