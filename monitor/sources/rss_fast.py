"""The fast path for RSS 2.0, RSS 1.0 (RDF) and Atom: lxml, no sanitiser, no date guessing.

It reads only what it can read exactly as feedparser would and raises ``Unsupported``
for anything else (a DOCTYPE, broken XML, relative links, XHTML content, a date format
other than RFC 822 or ISO 8601 with a zone, elements feedparser maps onto the fields
we use, markup feedparser's sanitiser would keep text from). ``rss.read_feed`` then
falls back to feedparser; tests/unit/test_sources.py checks the two agree on every fixture.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import mktime_tz, parsedate_tz

from feedparser.mixin import _FeedParserMixin
from lxml import etree

from monitor.sources.base import header
from monitor.sources.feed_entry import Entry

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
YT = "{http://www.youtube.com/xml/schemas/2015}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Namespaces whose elements feedparser maps onto entry fields: unknown ones there are odd.
KNOWN_NAMESPACES = {f"{{{uri}}}" for uri in _FeedParserMixin.namespaces} | {ATOM, RSS1}
HARMLESS = {
    "category",
    "comments",
    "enclosure",
    f"{DC}subject",
    f"{ATOM}category",
    f"{ATOM}rights",
    f"{MEDIA}content",
    f"{MEDIA}thumbnail",
    f"{MEDIA}community",
    f"{YT}channelId",
}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
SANITISED_TAGS = re.compile(
    r"<\s*/?\s*(noscript|template|iframe|object|svg|math|applet|embed|frame|noembed|xmp|plaintext|textarea|title|form|select|option)\b",
    re.I,
)
HTML_LINK_TYPES = {None, "text/html", "application/xhtml+xml"}


class Unsupported(Exception):
    """This document is for feedparser; the message says why (for debugging)."""


def parse_entries(body: bytes, headers: dict[str, str]) -> tuple[list[Entry], str | None]:
    """The entries and feed language of a plain RSS/RDF/Atom document, or ``Unsupported``."""
    root = _root(body, headers)
    if root.tag == "rss" and root.get("version") in ("2.0", "0.91", "0.92"):
        return _rss(root)
    if root.tag == f"{ATOM}feed":
        return [_atom_entry(e) for e in root.iterchildren(f"{ATOM}entry")], _strip(root.get(XML_LANG))
    if root.tag == f"{RDF}RDF":
        return _rdf(root)
    raise Unsupported(f"root element {root.tag}")


def _root(body: bytes, headers: dict[str, str]):
    content_type = header(headers, "content-type").lower()
    found = re.search(r"charset=\"?([\w.:-]+)", content_type)
    charset = found.group(1) if found else None
    if charset is None and content_type.startswith("text/"):
        raise Unsupported("text/* without charset: RFC 3023 rules")
    if b"<!DOCTYPE" in body[:4096] or b"<!ENTITY" in body[:4096]:
        raise Unsupported("DOCTYPE")
    parser = etree.XMLParser(
        encoding=charset,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )
    try:
        return etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, LookupError, ValueError) as exc:
        raise Unsupported(str(exc)) from None


def _rss(root) -> tuple[list[Entry], str | None]:
    channel = root.find("channel")
    if channel is None or root.find("item") is not None:
        raise Unsupported("items outside the channel")
    lang = _strip(channel.findtext("language") or channel.findtext(f"{DC}language"))
    return [_rss_entry(item, "") for item in channel.iterchildren("item")], lang


def _rdf(root) -> tuple[list[Entry], str | None]:
    channel = root.find(f"{RSS1}channel")
    lang = _strip(channel.findtext(f"{DC}language")) if channel is not None else None
    entries = []
    for item in root.iterchildren(f"{RSS1}item"):
        entry = _rss_entry(item, RSS1)
        entry.guid = _strip(item.get(f"{RDF}about")) or None
        entries.append(entry)
    return entries, lang


def _rss_entry(item, ns: str) -> Entry:
    fields: dict[str, object] = {}
    guid_is_link = True
    for child in _children(item):
        tag = child.tag
        if tag == f"{ns}title":
            _put(fields, "title", _text(child))
        elif tag == f"{ns}link":
            _put(fields, "link", _strip(_text(child)))
        elif tag == f"{ns}description":
            _put(fields, "summary", _text(child))
        elif tag == f"{CONTENT}encoded":
            _put(fields, "content", _text(child))
        elif tag == "guid" and not ns:
            _put(fields, "guid", _strip(_text(child)))
            guid_is_link = child.get("isPermaLink", "true") == "true"
        elif tag == "pubDate" and not ns:
            _put(fields, "published", _date(_text(child)))
        elif tag == f"{DC}date":
            _put(fields, "updated", _date(_text(child)))
        elif tag == f"{DC}creator" or (tag == "author" and not ns):
            _put(fields, "author", _strip(_text(child)))
        elif tag == "source" and not ns:
            _put(fields, "source_title", _strip(_text(child)))
            _put(fields, "source_href", _strip(child.get("url")))
        else:
            _harmless(child)
    if guid_is_link and not fields.get("link") and fields.get("guid"):
        fields["link"] = fields["guid"]
    return _entry(fields, fields.get("content") or fields.get("summary") or "")


def _atom_entry(node) -> Entry:
    fields: dict[str, object] = {}
    for child in _children(node):
        tag = child.tag
        if tag == f"{ATOM}title":
            _put(fields, "title", _atom_text(child))
        elif tag == f"{ATOM}link":
            _atom_link(child, fields)
        elif tag == f"{ATOM}id":
            _put(fields, "guid", _strip(_text(child)))
        elif tag in (f"{ATOM}summary", f"{ATOM}content"):
            _put(fields, tag.removeprefix(ATOM), _atom_text(child))
        elif tag == f"{ATOM}published":
            _put(fields, "published", _date(_text(child)))
        elif tag == f"{ATOM}updated":
            _put(fields, "updated", _date(_text(child)))
        elif tag == f"{ATOM}author":
            _put(fields, "author", _atom_author(child))
        elif tag == f"{YT}videoId":
            _put(fields, "yt_videoid", _strip(_text(child)))
        elif tag == f"{MEDIA}group":
            _media_group(child, fields)
        else:
            _harmless(child)
    if not fields.get("link") and fields.get("guid"):
        fields["link"] = fields["guid"]
    return _entry(fields, fields.get("content") or fields.get("summary") or fields.get("media_description") or "")


def _media_group(group, fields: dict) -> None:
    for child in _children(group):
        if child.tag == f"{MEDIA}title":
            if _text(child).strip() != str(fields.get("title", "")).strip():
                raise Unsupported("media:title differs from title")
        elif child.tag == f"{MEDIA}description":
            if child.get("type") not in (None, "plain") or "summary" in fields or "content" in fields:
                raise Unsupported("media:description beside a summary")
            _put(fields, "media_description", _text(child))
        else:
            _harmless(child)


def _atom_link(child, fields: dict) -> None:
    href = _strip(child.get("href"))
    if child.get("rel", "alternate") != "alternate":
        return
    if child.get("type") not in HTML_LINK_TYPES:
        raise Unsupported("alternate link of another type")
    if not href or not re.match(r"^https?://", href):
        raise Unsupported("relative link")
    fields["link"] = href  # feedparser keeps the last alternate


def _atom_text(node) -> str:
    kind = node.get("type", "text")
    if kind not in ("text", "html") or node.get("src") is not None:
        raise Unsupported(f"atom text construct of type {kind}")
    return _text(node)


def _atom_author(node) -> str:
    name, email = _strip(node.findtext(f"{ATOM}name")), _strip(node.findtext(f"{ATOM}email"))
    if not name:
        raise Unsupported("author without name")
    return f"{name} ({email})" if email else name


def _entry(fields: dict, html: str) -> Entry:
    if SANITISED_TAGS.search(html) or SANITISED_TAGS.search(str(fields.get("title", ""))):
        raise Unsupported("markup the sanitiser treats specially")
    extra = {k: fields[k] for k in ("yt_videoid", "source_title", "source_href") if fields.get(k)}
    return Entry(
        title=str(fields.get("title", "")),
        html=str(html),
        link=fields.get("link") or None,
        guid=fields.get("guid") or None,
        author=fields.get("author") or None,
        published_at=fields.get("published") or fields.get("updated"),
        extra=extra,
    )


def _children(node):
    for child in node:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        yield child


def _put(fields: dict, key: str, value) -> None:
    if key in fields:
        raise Unsupported(f"repeated {key}")
    fields[key] = value


def _harmless(child) -> None:
    tag = child.tag
    if tag in HARMLESS:
        return
    namespace = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
    if not namespace or namespace in KNOWN_NAMESPACES:
        raise Unsupported(f"element {tag}")


def _text(node) -> str:
    if len(node):
        raise Unsupported(f"markup inside {node.tag}")
    return node.text or ""


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


def _date(value: str) -> datetime:
    value = value.strip()
    try:
        if ISO.match(value):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed.astimezone(timezone.utc).replace(microsecond=0)
        parts = parsedate_tz(value)
        if parts is None or parts[9] is None or parts[0] < 1970:
            raise Unsupported(f"date {value!r}")
        return datetime.fromtimestamp(mktime_tz(parts), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):  # 2026-02-30, year 9999 behind UTC: feedparser decides
        raise Unsupported(f"date out of range {value[:40]!r}") from None
