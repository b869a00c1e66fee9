"""Captures of what the streams and the search providers received: the same evidence as a poll's.

A stream's matched WebSocket message, the Mastodon fallback's timeline response, or a search
provider's response becomes a ``Received`` where it is read, holding the bytes and the
mentions it yielded; the writer calls ``capture_received`` in the transaction that stored
those mentions. Each is written to the evidence store as WARC records (a message: the
handshake's request record and a ``resource`` record of the message; a response: request and
response records, credentials replaced by a marker either way, ``monitor.core.warc``) and
linked to its new mentions like a poll response, with a "captured" custody event each
(``captures.insert_captures``). Only what yielded a matched item is kept: the firehose's other
messages never reach the store. One whose mentions were all stored before (a replay after a
restart) gets an unlinked row, deleted after the retention like an unmatched poll response.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Mention
from monitor.core.settings import get_settings
from monitor.core.storage.captures import Prepared, capture_rows, insert_captures, method_name, store_records
from monitor.core.warc import Exchange, Message, message_records, records

log = logging.getLogger(__name__)


@dataclass
class Received:
    """What one stream message or provider response held and the mentions it yielded.

    ``status`` is None for a WebSocket message (``body`` is the message's bytes,
    ``request_headers`` the handshake's); otherwise it is an HTTP response.
    """

    kind: str  # "stream" or "search"
    adapter: str  # "jetstream", "mastodon-stream", "gdelt", …: the method names it
    url: str
    body: bytes
    captured_at: datetime
    status: int | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    transform: str = ""  # what the WebSocket layer changed (a decompressed message)
    mentions: list = field(default_factory=list)  # NewMention, those it yielded

    @classmethod
    def response(cls, kind: str, adapter: str, response, at: datetime) -> Received:
        """An HTTP response as the guarded fetcher returned it (``monitor.ingest.fetch.FetchResult``)."""
        return cls(
            kind,
            adapter,
            response.url,
            response.body,
            at,
            status=response.status,
            request_headers=response.request_headers,
            response_headers=response.headers,
        )


def capture_received(session: Session, *, received: list[Received], new_ids: list[int]) -> None:
    """Keep ``received`` (those that yielded a mention) as WARC records, linked to the new
    mentions among ``new_ids`` whose items they hold; a failure costs the captures, never the mentions."""
    kept = [r for r in received if r.mentions]
    settings = get_settings()
    if not kept or not settings.evidence_capture:
        return
    try:
        with session.begin_nested():
            _record(session, settings, kept, new_ids)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        raise  # the database away: the writer retries the whole batch
    except Exception as exc:  # noqa: BLE001 - logged by type only: the message may quote a post
        log.error("capturing received messages failed: %s", type(exc).__name__, extra={"received": len(kept)})


def _record(session: Session, settings, kept: list[Received], new_ids: list[int]) -> None:
    guids = list(session.exec(select(Mention.id, Mention.guid).where(Mention.id.in_(new_ids))).all()) if new_ids else []
    ready = []
    for one in kept:
        prepared = prepare_received(settings, one)
        ready.append((prepared, [(i, g) for i, g in guids if g in prepared.items]))
    insert_captures(session, capture_rows(session, settings, ready))


def prepare_received(settings, received: Received) -> Prepared:
    """Write ``received``'s records to the evidence store."""
    fields = {"kind": received.kind, "status": received.status, "method": method_name(received.adapter)}
    if received.status is None:
        message = Message(
            url=received.url,
            body=received.body,
            request_headers=received.request_headers,
            method=fields["method"],
            transform=received.transform,
            captured_at=received.captured_at,
        )
        made = message_records(message)
        return store_records(
            settings, made, mentions=received.mentions, captured_at=received.captured_at, exchange=None, **fields
        )
    exchange = Exchange(
        url=received.url,
        status=received.status,
        request_headers=received.request_headers,
        response_headers=received.response_headers,
        body=received.body,
        captured_at=received.captured_at,
    )
    return store_records(
        settings,
        records(exchange),
        mentions=received.mentions,
        captured_at=received.captured_at,
        exchange=exchange,
        **fields,
    )
