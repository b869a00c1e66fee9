"""Which format a generic feed turned out to be, for people to read (sources table, cards).

The parsers decide for themselves; this only names what a body of a source of kind ``auto``
looked like, from its first bytes, so the page can say "rss" or "atom" instead of "auto".
"""

from __future__ import annotations

import re

HEAD_BYTES = 4096
_ROOTS = (
    (re.compile(rb"<(?:\w+:)?feed[\s>]"), "atom"),
    (re.compile(rb"<rdf:RDF[\s>]"), "rdf"),
    (re.compile(rb"<rss[\s>]"), "rss"),
)


def feed_format(body: bytes, *, kind: str, url_kind: str) -> str:
    """The detected kind of a poll of a source configured as ``kind``: ``kind`` itself unless it
    is ``auto``; then the platform its URL names (``url_kind``), else the feed format in ``body``
    (``jsonfeed``, ``atom``, ``rdf``, ``rss``), else ``feed``."""
    if kind != "auto":
        return kind
    if url_kind != "auto":
        return url_kind
    head = body[:HEAD_BYTES].lstrip()
    if head.startswith(b"{"):
        return "jsonfeed"
    return next((name for pattern, name in _ROOTS if pattern.search(head)), "feed")
