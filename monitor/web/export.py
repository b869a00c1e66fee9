"""Export the queue's current filter as CSV or as an Atom feed (for other tools).

Same query parameters as ``/review``; at most ``EXPORT_LIMIT`` cards, newest first.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape as xml_escape

from fastapi import APIRouter
from fastapi.responses import Response

from monitor.clock import utcnow
from monitor.core.settings import get_settings
from monitor.review import cards
from monitor.review.export import write_csv
from monitor.web.atom import xml_text
from monitor.web.deps import SessionDep, UserDep
from monitor.web.review import FiltersDep
from monitor.web.snippet import safe_href

EXPORT_LIMIT = 5000
CSV_FIELDS = (
    "id",
    "cluster_id",
    "copies",
    "source",
    "kind",
    "url",
    "title",
    "text",
    "author",
    "published_at",
    "fetched_at",
    "people",
    "review_state",
    "label",
    "status",
    "note",
    "language",
    "copy_sources",
)

router = APIRouter(include_in_schema=False)


def _record(card: cards.Card) -> dict:
    m = card.row.mention
    return {
        "id": m.id,
        "cluster_id": m.cluster_id,
        "copies": card.copies,
        "source": card.row.source,
        "kind": card.kind,
        "url": m.url,
        "title": m.title,
        "text": m.text,
        "author": m.author,
        "published_at": m.published_at.isoformat() if m.published_at else "",
        "fetched_at": m.fetched_at.isoformat(),
        "people": "; ".join(card.row.people),
        "review_state": m.review_state,
        "label": m.label or "",
        "status": m.status,
        "note": m.note or "",
        "language": m.language or "",
        "copy_sources": card.copy_sources,
    }


@router.get("/review/export.csv")
def export_csv(session: SessionDep, user: UserDep, filters: FiltersDep) -> Response:
    """The filtered cards as CSV, one row per card."""
    out = io.StringIO()  # the one CSV writer, with formula protection, shared with the CLI
    write_csv(
        out, CSV_FIELDS, (_record(card) for card in cards.all_cards(session, filters=filters, limit=EXPORT_LIMIT))
    )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="mentions.csv"'},
    )


@router.get("/review/export.atom")
def export_atom(session: SessionDep, user: UserDep, filters: FiltersDep) -> Response:
    """The filtered cards as an Atom feed; entry ids are ``tag:`` URIs of the mention ids. Feed
    text goes through ``atom.xml_text``: no character XML forbids, no bidi control."""
    base = get_settings().base_url.rstrip("/")
    entries = []
    for card in cards.all_cards(session, filters=filters, limit=EXPORT_LIMIT):
        m = card.row.mention
        href = safe_href(m.url)
        link = f'<link href="{xml_escape(href, {chr(34): "&quot;"})}"/>' if href else ""
        lang = f' xml:lang="{xml_escape(m.language)}"' if m.language else ""
        entries.append(
            f"<entry{lang}><id>tag:mention-monitor,2024:mention:{m.id}</id><title>{xml_escape(xml_text(m.title) or '(untitled)')}</title>"
            f"{link}<updated>{m.fetched_at.isoformat()}</updated>"
            f"<author><name>{xml_escape(xml_text(card.row.source))}</name></author>"
            f'<category term="{xml_escape(m.label or m.review_state)}"/>'
            f"<summary>{xml_escape(xml_text(m.text))}</summary></entry>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{xml_escape(base)}/review/export.atom</id><title>Mention monitor</title>"
        f"<updated>{utcnow().isoformat()}</updated>{''.join(entries)}</feed>"
    )
    return Response(feed, media_type="application/atom+xml; charset=utf-8")
