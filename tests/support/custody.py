"""Evidence test helpers: captures as the store keeps them (part A's layout), without part A.

``add_capture`` writes a gzip-compressed WARC response record (warcio) into the evidence
store under ``blob_path`` and the ``Capture`` row that names it; ``add_mention`` a person's
mention to hang captures on.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

from sqlmodel import Session, select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.core.blobs import blob_path
from monitor.core.models import Mention, MentionPerson, Person, Source
from monitor.core.models_evidence import Capture


def warc_record(url: str, body: bytes, *, content_type: str = "text/html; charset=utf-8") -> bytes:
    """One gzip WARC response record for ``url`` answering ``body``."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = StatusAndHeaders(
        "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
    )
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return out.getvalue()


def store_blob(settings, data: bytes) -> str:
    """Write ``data`` into the evidence store (once); its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(settings, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    return sha


def person(session: Session, name: str) -> Person:
    found = session.exec(select(Person).where(Person.name == name)).first()
    if found is None:
        found = Person(name=name)
        session.add(found)
        session.flush()
    return found


def add_mention(session: Session, *, people: list[Person], url: str, text: str) -> Mention:
    source = session.exec(select(Source).where(Source.url == "http://127.0.0.1/feed.xml")).first()
    if source is None:
        source = Source(url="http://127.0.0.1/feed.xml", name="Test feed")
        session.add(source)
        session.flush()
    mention = Mention(source_id=source.id, guid=url, url=url, title=text[:40], text=text, fetched_at=datetime.now(UTC))
    session.add(mention)
    session.flush()
    for who in people:
        session.add(MentionPerson(mention_id=mention.id, person_id=who.id, alias=who.name))
    session.flush()
    return mention


def add_capture(
    session: Session,
    settings,
    mention: Mention,
    *,
    body: bytes | None = None,
    kind: str = "poll",
    data: bytes | None = None,
) -> Capture:
    """A capture of ``mention``: a WARC record of ``body`` (or raw ``data`` for screenshot/pdf)."""
    blob = data if data is not None else warc_record(mention.url, body or mention.text.encode())
    capture = Capture(
        kind=kind,
        sha256=store_blob(settings, blob),
        url=mention.url,
        mention_id=mention.id,
        status=200,
        size=len(blob),
        method="monitor test",
        captured_at=datetime.now(UTC),
    )
    session.add(capture)
    session.flush()
    return capture
