"""The expanded watch list as bytes: zlib-compressed JSON, checked field by field on the way in.

``encode(table, key=…, people=…)`` and ``decode(blob, key=…, people=…)`` round-trip the table
of ``matching.expand.build_table`` (folded key → {(person, kind): (person, kind, alias, form,
flags)}). The JSON is columnar, which keeps both the bytes and the decoding time small (one
list per field instead of 150,000 nested lists)::

    {"format": 1, "key": "<sha-256>", "people": 1000,
     "aliases": [distinct aliases], "keys": [folded keys], "sizes": [entries per key],
     "forms": [form per entry], "ints": [person, kind, alias index, flags, … per entry]}

A blob is read back from a database, so it is not trusted: ``decode`` raises
``CorruptCache`` (one line) for anything that is not exactly such a document for this key,
and inflates at most ``MAX_INFLATED`` bytes. Pickle was ruled out for that reason (it runs
code); msgpack would have saved a little time but is one more dependency for no need.
"""

from __future__ import annotations

import itertools
import json
import zlib

from monitor.matching.expand import ALIAS, CONTEXT, EXCLUDE

FORMAT = 1  # bump when this layout changes: the key includes it, so old rows are simply not found
MAX_INFLATED = 256 * 1024 * 1024  # about 25,000 people; a blob inflating past it is refused
LEVEL = 6  # zlib level: 9 saves 2 % more bytes for twice the time
_KINDS = frozenset((ALIAS, EXCLUDE, CONTEXT))
COLUMNS = ("aliases", "keys", "sizes", "forms", "ints")


class CorruptCache(ValueError):
    """A stored blob that is not a table for this key."""


def encode(table: dict, *, key: str, people: int) -> bytes:
    """The table as compressed JSON; ``key`` and ``people`` are recorded to be checked on decode."""
    aliases: dict[str, int] = {}
    keys, sizes, forms, ints = [], [], [], []
    for folded, entries in table.items():
        keys.append(folded)
        sizes.append(len(entries))
        for person, kind, alias, form, flags in entries.values():
            forms.append(form)
            ints += (person, kind, aliases.setdefault(alias, len(aliases)), flags)
    document = {
        "format": FORMAT,
        "key": key,
        "people": people,
        "aliases": list(aliases),
        "keys": keys,
        "sizes": sizes,
        "forms": forms,
        "ints": ints,
    }
    return zlib.compress(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), LEVEL)


def decode(blob: bytes, *, key: str, people: int) -> dict:
    """The table ``encode`` wrote for ``key`` and ``people`` persons, or ``CorruptCache``."""
    document = _document(blob)
    if document.get("format") != FORMAT or document.get("key") != key or document.get("people") != people:
        raise CorruptCache("the blob is for another format, key or number of people")
    aliases, keys, sizes, forms, ints = (_list(document, name) for name in COLUMNS)
    _check(aliases, keys, sizes, forms, ints, people)
    entries = iter(zip(ints[0::4], ints[1::4], map(aliases.__getitem__, ints[2::4]), forms, ints[3::4]))
    table = {}
    for folded, size in zip(keys, sizes):
        if size == 1:  # nearly every key: one person, one kind
            entry = next(entries)
            table[folded] = {(entry[0], entry[1]): entry}
        else:
            table[folded] = {(e[0], e[1]): e for e in itertools.islice(entries, size)}
    if len(table) != len(keys):
        raise CorruptCache("a key is listed twice")
    return table


def _document(blob: bytes) -> dict:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(blob, MAX_INFLATED)
    except zlib.error as exc:
        raise CorruptCache(f"not zlib data ({exc})") from None
    if inflater.unconsumed_tail:
        raise CorruptCache(f"inflates past {MAX_INFLATED:,} bytes")
    if not inflater.eof:
        raise CorruptCache("truncated")
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptCache(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise CorruptCache("not a JSON object")
    return document


def _list(document: dict, name: str) -> list:
    value = document.get(name)
    if not isinstance(value, list):
        raise CorruptCache(f"{name!r} is not a list")
    return value


def _check(aliases: list, keys: list, sizes: list, forms: list, ints: list, people: int) -> None:
    """Every field of the right type and in range, so the matcher never meets a bad entry."""
    # set(map(type, …)) runs in C: a tenth of the time of an all(isinstance …) loop here.
    if not set(map(type, aliases + keys + forms)) <= {str} or "" in keys:
        raise CorruptCache("an alias, key or form is not a string (or a key is empty)")
    if not set(map(type, sizes + ints)) <= {int} or min(sizes, default=1) < 1:
        raise CorruptCache("a count or an entry's number is not a positive whole number")
    if len(keys) != len(sizes) or sum(sizes) != len(forms) or len(ints) != 4 * len(forms):
        raise CorruptCache("the entry counts do not add up")
    persons, kinds, indexes = ints[0::4], ints[1::4], ints[2::4]
    if forms and (
        min(persons) < 0
        or max(persons) >= people
        or not set(kinds) <= _KINDS
        or min(indexes) < 0
        or max(indexes) >= len(aliases)
    ):
        raise CorruptCache("an entry names a person, kind or alias out of range")
