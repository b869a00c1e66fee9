"""Folding text so that every way of writing one letter becomes one character.

``fold(text)`` lower-cases, strips diacritics (é → e, ł → l, ё → е), folds Cyrillic letters
that look Latin onto their Latin twins (so "Kapa" typed with Latin K, a, p equals «Кара»:
both become "kapa"), folds letters of other scripts (Greek, Georgian, Armenian, Hebrew,
Arabic) onto one Latin letter each, and turns every character that is neither a letter nor
a digit into a space, except ``#`` and ``@`` which mark hashtags and handles. Patterns and posts go through the
same function, so a many-to-one mapping is harmless: both sides land on the same key.

Nearly always the folded text has exactly the length of the original, so offsets carry
over unchanged; the hot path is a one-byte encoding (ASCII, else cp1251, which holds
Russian, Ukrainian and Belarusian letters and common punctuation) + ``bytes.translate``,
all at C speed.
Only when a character must vanish (a combining accent) do we return an offset map.
"""

from __future__ import annotations

import codecs
import unicodedata
from encodings import cp1251

# Cyrillic letters that look like Latin ones, after lower-casing, fold onto the Latin twin,
# so that ASCII posts (most English ones) stay ASCII and take the cheapest path.
HOMOGLYPHS = str.maketrans("асекмнортхуві", "acekmhoptxybi")
SPECIAL = {"ł": "l", "ø": "o", "đ": "d", "ß": "s", "æ": "a", "œ": "o", "ı": "i", "й": "й", "ѓ": "ѓ"}
KEEP = "#@"
UNKNOWN_LETTER = "ѓ"  # stands in for letters no table places: still a letter, never a name
_CP = "cp1251"


def fold_char(ch: str) -> str:
    """One character folded: a single character, or '' for a combining mark."""
    if ch in KEEP:
        return ch
    if unicodedata.category(ch).startswith("M"):
        return ""
    if not ch.isalnum() or unicodedata.category(ch) == "Lm":
        return " "  # modifier letters (ʹ ʼ) are apostrophes in transliterations
    low = ch.lower()[0]
    base = SPECIAL.get(low)
    if base is None:
        base = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))[:1] or low
        base = SPECIAL.get(base, base)
    base = base.translate(HOMOGLYPHS)
    try:
        base.encode(_CP)
    except UnicodeEncodeError:
        return _other_script(base)
    return base


# Letters text-unidecode drops or renders as punctuation; each folds to one letter.
_SCRIPT_SPECIAL = {
    "ا": "a",
    "أ": "a",
    "إ": "a",
    "آ": "a",
    "ٱ": "a",
    "ء": "a",
    "ة": "h",
    "ى": "y",
    "ئ": "y",
    "ؤ": "w",
    "א": "a",
    "ע": "a",
}


def _other_script(ch: str) -> str:
    """A letter of another script (Greek, Georgian, Armenian, Hebrew, Arabic…) as one Latin letter.

    text-unidecode's romanisation, first letter only: many-to-one is harmless because the
    generated spellings (monitor.matching.scripts) fold through the same function. Letters
    it cannot place stay ``UNKNOWN_LETTER``: still a letter, never part of a name.
    """
    from text_unidecode import unidecode

    latin = _SCRIPT_SPECIAL.get(ch) or unidecode(ch).lower()
    latin = next((c for c in latin if c.isascii() and c.isalpha()), "")
    return latin or UNKNOWN_LETTER


def _byte_table() -> bytes:
    table = bytearray(range(256))
    for b in range(256):
        try:
            ch = bytes([b]).decode(_CP)
        except UnicodeDecodeError:
            continue
        folded = fold_char(ch) or " "
        table[b] = folded.encode(_CP)[0]
    return bytes(table)


_TABLE = _byte_table()
_encode, _decode = codecs.charmap_encode, codecs.charmap_decode
_ENCODING, _DECODING = cp1251.encoding_table, cp1251.decoding_table


class _OddMap(dict):
    """For ``str.translate``: letters outside cp1251 folded, the rest left for the byte table;
    filled as characters are first seen, so other scripts fold at C speed afterwards."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        try:
            ch.encode(_CP)
            value = ch
        except UnicodeEncodeError:
            value = fold_char(ch)
        self[code] = value
        return value


_ODD_MAP = _OddMap()


def fold(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded, and ``None`` when offsets are unchanged, else a map folded → original.

    The map has one entry per folded character plus a final ``len(text)``.
    """
    if text.isascii():
        return text.encode("ascii").translate(_TABLE).decode("ascii"), None
    try:
        raw = _encode(text, "strict", _ENCODING)[0]
    except UnicodeEncodeError:
        plain = text.translate(_ODD_MAP)
        if len(plain) != len(text):
            return _fold_with_offsets(text)
        raw = _encode(plain, "strict", _ENCODING)[0]
    return _decode(raw.translate(_TABLE), "strict", _DECODING)[0], None


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_char(ch)
        if folded:
            chars.append(folded)
            offsets.append(i)
    offsets.append(len(text))
    return "".join(chars), offsets


def fold_key(phrase: str) -> str:
    """A phrase folded for use as a pattern: runs of separators become one space."""
    return " ".join(fold(phrase)[0].split())
