"""A mention's linked page fetched through the guarded client and kept as evidence.

``fetch_page`` answers what the server said (a ``PageFetch``: the exchange, or the failure
and its status); ``store_page`` keeps a fetched page as WARC records plus its extracted text
(a blob of its own) and returns the ``Capture`` row. Both the first capture and every
re-check use them (``monitor.evidence.recheck``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.core import blob_store as store
from monitor.core.models_evidence import Capture
from monitor.core.storage.captures import method_name
from monitor.core.warc import Exchange, records
from monitor.ingest.fetch import FetchError, fetch_async
from monitor.sources.text import html_to_text

TEXT_CAP = 2_000_000  # characters of extracted text kept (a page is capped at fetch_max_bytes anyway)


@dataclass
class PageFetch:
    url: str
    status: int | None
    exchange: Exchange | None = None
    error: str | None = None

    @property
    def text(self) -> str:
        return page_text(self.exchange.body) if self.exchange else ""


def page_text(body: bytes) -> str:
    """The visible text of an HTML page (or the body as text), whitespace folded."""
    return html_to_text(body.decode("utf-8", "replace"))[:TEXT_CAP]


async def fetch_page(clients, gate, url: str, *, settings, now: datetime) -> PageFetch:
    """GET ``url`` through the guarded client and the politeness gate; never raises ``FetchError``."""
    try:
        result = await fetch_async(clients, url, settings=settings, gate=gate)
    except FetchError as exc:
        return PageFetch(url=url, status=exc.status, error=str(exc))
    exchange = Exchange(
        url=result.url,
        status=result.status,
        request_headers=result.request_headers,
        response_headers=result.headers,
        body=result.body,
        captured_at=now,
    )
    return PageFetch(url=url, status=result.status, exchange=exchange)


def store_page(session, *, settings, page: PageFetch, mention_id: int, kind: str, now: datetime) -> Capture:
    """Keep ``page`` (fetched) as WARC records and extracted text; the new ``Capture`` (added, not committed)."""
    made = records(page.exchange)
    capture = Capture(
        kind=kind,
        mention_id=mention_id,
        sha256=store.put(settings, made.response),
        request_sha256=store.put(settings, made.request),
        text_sha256=store.put(settings, page.text.encode("utf-8")),
        url=made.url,
        status=page.status,
        size=len(made.response),
        method=method_name("page"),
        captured_at=now,
        payload_sha256=made.payload_sha256,
        transform=made.transform,
    )
    session.add(capture)
    session.flush()
    return capture
