"""One Atom writer for the private feeds: cards in, a well-formed Atom 1.0 document out.

Built with ``xml.etree.ElementTree`` (the standard library escapes for us; considered:
feedgen, which adds lxml-based machinery for what is a dozen elements). Feed text is hostile
and may hold characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates,
U+FFFE/U+FFFF); they are dropped, so a feed reader always gets a document it can parse.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from monitor.clock import utcnow
from monitor.core.settings import get_settings
from monitor.text import clean_display
from monitor.web.snippet import safe_href

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG_PREFIX = "tag:mention-monitor,2024:"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str | None) -> str:
    """``value`` without the characters XML 1.0 forbids ("" for None), line ends as ``\n``
    (what any XML parser would turn them into), and without bidi controls (``monitor.text``)."""
    return clean_display(_NOT_XML.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n")))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _entry(feed: ET.Element, card, base: str) -> None:
    m = card.row.mention
    entry = _sub(feed, "entry")
    if m.language:
        entry.set("{http://www.w3.org/XML/1998/namespace}lang", xml_text(m.language))
    _sub(entry, "id", f"{TAG_PREFIX}mention:{m.id}")
    _sub(entry, "title", xml_text(m.title).strip() or "(untitled)")
    href = safe_href(m.url)
    if href:
        _sub(entry, "link", rel="alternate", href=href)
    _sub(entry, "link", rel="related", href=f"{base}/mentions/{m.id}")  # the monitor's own page
    _sub(entry, "updated", (m.published_at or m.fetched_at).isoformat())
    if m.published_at:
        _sub(entry, "published", m.published_at.isoformat())
    _sub(_sub(entry, "author"), "name", card.row.source or "unknown source")
    for person in card.row.people:
        _sub(entry, "category", term=person, label=person)
    _sub(entry, "category", term=m.label or m.review_state)
    _sub(entry, "summary", m.text or "")


def atom_feed(found: Iterable, *, title: str, feed_id: str) -> bytes:
    """An Atom document of ``found`` (``monitor.review.cards.Card``), UTF-8 with its declaration."""
    ET.register_namespace("", ATOM_NS)
    base = get_settings().base_url.rstrip("/")
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", f"{TAG_PREFIX}{feed_id}")
    _sub(feed, "title", title)
    _sub(feed, "updated", utcnow().isoformat())
    _sub(feed, "link", rel="alternate", href=f"{base}/review")
    for card in found:
        _entry(feed, card, base)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
