"""``monitor export mentions``: one record per stored mention, as JSON lines or CSV.

``write_csv`` is the one CSV writer of the project (this command and the web's export):
feed text is hostile, and a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``
or ``@`` as a formula (``=HYPERLINK(…)`` sends the sheet's data away), so such text cells
are written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TextIO

from sqlmodel import select

from monitor.core import db
from monitor.core.models import Mention, MentionPerson, Person, Source

FIELDS = ["id", "source", "url", "canonical_url", "title", "text", "published_at", "fetched_at", "people", "cluster_id"]
BATCH = 500
# What a spreadsheet may read as the start of a formula (OWASP's list, with a line feed).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> object:
    """``value`` as a CSV cell that no spreadsheet evaluates: text that could start a formula
    gets a leading apostrophe; numbers stay numbers (``-3`` is a value, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: TextIO, fields: Iterable[str], records: Iterable[dict]) -> int:
    """Write a header and one row per record (missing keys empty), every cell through
    ``safe_cell``; return how many rows."""
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({key: safe_cell(value) for key, value in record.items()})
        count += 1
    return count


def mention_records(*, since: datetime | None = None) -> Iterator[dict]:
    """Stored mentions oldest first, each with its source name and people's names."""
    with db.session_scope() as session:
        statement = select(Mention, Source.name).join(Source, Source.id == Mention.source_id).order_by(Mention.id)
        if since is not None:
            statement = statement.where(Mention.fetched_at >= since)
        people = _people_by_mention(session)
        for mention, source_name in session.exec(statement).yield_per(BATCH):
            yield {
                "id": mention.id,
                "source": source_name,
                "url": mention.url,
                "canonical_url": mention.canonical_url,
                "title": mention.title,
                "text": mention.text,
                "published_at": _iso(mention.published_at),
                "fetched_at": _iso(mention.fetched_at),
                "people": people.get(mention.id, []),
                "cluster_id": mention.cluster_id,
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
    records = mention_records(since=since)
    if fmt == "csv":
        return write_csv(out, FIELDS, ({**r, "people": ";".join(r["people"])} for r in records))
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
