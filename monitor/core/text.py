"""Feed text made safe to show: bidirectional control characters neutralised.

Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the direction marks
(U+200E, U+200F, U+061C) are invisible, and a feed can use them to make text display as
something else: a name reversed, a URL's host shown as another. ``clean_display`` removes
them. Every web page runs its output through it (``monitor.web.deps`` installs it as the
templates' ``finalize``), and alert emails use it too. Removing the marks may nudge how a
mixed Arabic or Hebrew line is laid out; it never changes which characters are read.
"""

from __future__ import annotations

from typing import TypeVar

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_DROP = dict.fromkeys(map(ord, BIDI_CONTROLS))

T = TypeVar("T", bound=str)


def clean_display(text: T) -> T:
    """``text`` without bidi control characters, of the same type (``Markup`` stays ``Markup``:
    removing them cannot create or break a tag or an entity)."""
    cleaned = str.translate(text, _DROP)
    return text if len(cleaned) == len(text) else type(text)(cleaned)
