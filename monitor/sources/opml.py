"""OPML import and export of sources, the format feed readers exchange subscription lists in.

``import_opml(text)`` returns plain dicts shaped like ``[[source]]`` config entries
(``url``, ``name``, ``kind``) for every outline with an ``xmlUrl``, folders flattened.
``export_opml(sources)`` writes any objects or dicts with ``url``, ``name``, ``kind``.

OPML files come from strangers, so parsing refuses DOCTYPEs outright (no entity can be
expanded: no XXE file reads, no billion laughs) and never touches the network.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from lxml import etree

KIND_ATTRIBUTE = "monitorKind"  # ours; other readers ignore unknown outline attributes


class OpmlError(ValueError):
    """The OPML document cannot be imported; the message is one line."""


def import_opml(text: str | bytes) -> list[dict[str, str]]:
    """``[{"url", "name", "kind"}]`` for each feed outline, in document order, URLs unique.

    Outlines whose ``xmlUrl`` is not http(s) are skipped. Raises ``OpmlError``.
    """
    root = _safe_root(text.encode("utf-8") if isinstance(text, str) else text)
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise OpmlError("not an OPML document: no <opml><body>")
    entries: dict[str, dict[str, str]] = {}
    for outline in body.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if urlsplit(url).scheme not in ("http", "https") or url in entries:
            continue
        name = (outline.get("title") or outline.get("text") or "").strip()
        entry = {"url": url, "kind": outline.get(KIND_ATTRIBUTE) or "auto"}
        if name:
            entry["name"] = name
        entries[url] = entry
    return list(entries.values())


def export_opml(sources: Iterable[object], *, title: str = "monitor sources") -> str:
    """An OPML 2.0 document listing ``sources`` (objects or dicts with url, name, kind)."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    for source in sources:
        url, name, kind = (_field(source, key) for key in ("url", "name", "kind"))
        outline = etree.SubElement(body, "outline", type="rss", text=name or url, xmlUrl=url)
        if name:
            outline.set("title", name)
        if kind and kind != "auto":
            outline.set(KIND_ATTRIBUTE, kind)
    return etree.tostring(root, encoding="unicode", pretty_print=True)


def _safe_root(data: bytes):
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not well-formed OPML: {exc}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise OpmlError("OPML with a DOCTYPE is refused: entity declarations could read local files")
    return root


def _field(source: object, key: str) -> str:
    value = source.get(key) if isinstance(source, dict) else getattr(source, key, None)
    return str(value) if value else ""
