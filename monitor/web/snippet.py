"""Showing hostile feed text safely: escaped snippets with ``<mark>``ed names, and safe links.

Offsets come from the matcher and refer to the raw text, so the text is cut at those
offsets first and every piece is escaped on its own; only our own ``<mark>`` tags are
left unescaped. The result is ``Markup`` and goes into templates as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from monitor.matching import Matcher

CONTEXT_BEFORE = 120
CONTEXT_AFTER = 240
SAFE_SCHEMES = frozenset({"http", "https"})

Span = tuple[int, int]


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, otherwise None (no javascript:, data:, …)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    return url


def name_spans(text: str, *, matcher: Matcher, aliases: Iterable[str] = ()) -> list[Span]:
    """Where tracked names occur in ``text``; falls back to the stored ``aliases`` verbatim.

    The fallback covers mentions whose person was since deactivated or renamed.
    """
    spans = [(m.start, m.end) for m in matcher.find(text)]
    if not spans:
        for alias in filter(None, (a.strip() for a in aliases)):
            spans += [m.span() for m in re.finditer(re.escape(alias), text, re.IGNORECASE)]
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, spans: list[Span]) -> Span:
    if not spans:
        return 0, min(len(text), CONTEXT_BEFORE + CONTEXT_AFTER)
    first_start, first_end = spans[0]
    return max(0, first_start - CONTEXT_BEFORE), min(len(text), first_end + CONTEXT_AFTER)


def highlight(text: str, spans: list[Span]) -> Markup:
    """A snippet of ``text`` around the first span, escaped, with each span in ``<mark>``."""
    start, end = _window(text, spans)
    pieces = [Markup("…")] if start > 0 else []
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        pieces += [
            escape(text[position:span_start]),
            Markup("<mark>"),
            escape(text[span_start:span_end]),
            Markup("</mark>"),
        ]
        position = span_end
    pieces.append(escape(text[position:end]))
    if end < len(text):
        pieces.append(Markup("…"))
    return Markup("").join(pieces)


def highlight_all(text: str, spans: list[Span]) -> Markup:
    """The whole of ``text`` (a title), escaped, with each span in ``<mark>``."""
    pieces, position = [], 0
    for start, end in spans:
        if start < position:
            continue
        pieces += [escape(text[position:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
