"""Feed text made safe to show: the one text cleaner every layer uses.

Outside the layers (it imports nothing of ours), so adapters, mail and pages share it.

Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the direction marks
(U+200E, U+200F, U+061C) are invisible, and a feed can use them to make text display as
something else: a name reversed, a URL's host shown as another. ``clean_display`` removes
them. Every web page runs its output through it (``monitor.web.deps`` installs it as the
templates' ``finalize``), and alert emails use it too. Removing the marks may nudge how a
mixed Arabic or Hebrew line is laid out; it never changes which characters are read.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_DROP = dict.fromkeys(map(ord, BIDI_CONTROLS))

T = TypeVar("T", bound=str)


def clean_display(text: T) -> T:
    """``text`` without bidi control characters, of the same type (``Markup`` stays ``Markup``:
    removing them cannot create or break a tag or an entity)."""
    cleaned = str.translate(text, _DROP)
    return text if len(cleaned) == len(text) else type(text)(cleaned)


def oneline(text: object, limit: int | None = None) -> str:
    """``text`` on one line: bidi controls removed, other control characters made spaces,
    whitespace collapsed; cut to ``limit`` characters when given."""
    cleaned = clean_display(text if isinstance(text, str) else str(text or ""))
    cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return cleaned[:limit] if limit is not None else cleaned


def clip(text: str, limit: int = 300) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.7 else cut).rstrip() + "…"
