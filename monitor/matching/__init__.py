"""Finding tracked people in text. Pure: no database, no network.

``Matcher.find(text)`` is the one entry point the rest of the monitor uses. Behind it:

- ``expand``: each person's aliases become every case form (``inflect``: Russian,
  Ukrainian, Belarusian, gender-aware) and every common Latin or Cyrillic spelling
  (``translit``), plus the surname as nineteen more languages' press spells and declines
  it (``scripts``, ``declension``, ``belarusian``), configured hashtags, handles, exclude
  phrases (in every language too) and context terms;
- ``fold``: posts and patterns are folded alike (case, diacritics, ё, look-alike letters,
  other scripts → Latin letters, punctuation → space) so one exact search finds them all;
- one Aho-Corasick automaton over all keys, built once per set of people and cached, run
  once over each post; hashtags (#FreeYashin, #СвободуЯшину) are searched again split at
  their camel case, and inside when all lower case;
- per hit: exclude phrases of that person that cover it cancel it; surname-only hits of
  a person with context terms need one nearby; a man's surname form that is also a
  woman's (Яшина) is dropped after a woman's first name; a bare surname right after a
  different given name is a namesake's (``namesakes``), and another language's form of a
  full name's surname needs the person's own given name before it; the longest hit of a
  person wins.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ahocorasick

from monitor.matching.expand import (
    ALIAS,
    BARE_SURNAME,
    EXCLUDE,
    FEMININE_TWIN,
    NEEDS_CONTEXT,
    NEEDS_OWN_NAME,
    PersonNames,
    build_table,
    given_keys_as_written,
    own_given_keys,
    own_given_skeletons,
)
from monitor.matching.fold import fold
from monitor.matching.namesakes import judge, preceding_words

if TYPE_CHECKING:  # the config layer sits above matching; a watch list is only passed in
    from monitor.core.config_file import Watchlist

__all__ = ["Match", "Matcher", "PersonNames", "match_lines"]

CONTEXT_WINDOW = 200  # characters between a surname and a context term that make it count
_HASHTAG = re.compile(r"#(\w+)")


@dataclass(frozen=True)
class Match:
    """One mention: who, by which configured alias, where in the original text, which form fired."""

    person: str
    alias: str
    start: int
    end: int
    form: str = ""


class _Engine:
    """The automata for one set of people; immutable once built."""

    def __init__(self, people: tuple[PersonNames, ...], table: dict | None = None):
        self.people = people
        # A ready table (``build_table``'s shape) comes from the cache in storage (issue 15).
        self.table = build_table(list(people)) if table is None else table
        self.automaton = _automaton((key, entries.values()) for key, entries in self.table.items())
        self._inner = None
        self._own: dict[int, _OwnNames] = {}

    def own(self, person: int) -> _OwnNames:
        """Folded forms of a person's own given names (built when first needed)."""
        if person not in self._own:
            self._own[person] = _OwnNames(self.people[person])
        return self._own[person]

    @property
    def inner(self):
        """Alias keys without the leading sentinel, for names glued inside lower-case hashtags."""
        if self._inner is None:
            self._inner = _automaton(
                (key[1:], [e for e in entries.values() if e[1] == ALIAS])
                for key, entries in self.table.items()
                if key.endswith(" ")
            )
        return self._inner


class _OwnNames:
    """``own_given_keys`` of one person, asked the names as configured first.

    Every case, language and diminutive of a given name costs milliseconds a person to
    spell out; most hits follow the name as configured ("Alexei Navalny"), so the full set
    is built only for a word that is not one of those (issue 15: a first poll of 1,000
    people spent half its matching here)."""

    def __init__(self, person: PersonNames):
        self._person = person
        self._written = given_keys_as_written(person)
        self._every: frozenset[str] | None = None

    def __contains__(self, key: object) -> bool:
        if key in self._written:
            return True
        if self._every is None:
            self._every = own_given_keys(self._person)
        return key in self._every


def _automaton(items) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for key, entries in items:
        entries = tuple(entries)
        if entries:
            # (start back from the hit's end, end back from it, entries): see Matcher._scan
            lead = 1 if key.startswith(" ") else 0
            automaton.add_word(key, (len(key) - lead, 1 if key.endswith(" ") else 0, entries))
    if not len(automaton):
        automaton.add_word("\x00", (0, 0, ()))  # folding never yields NUL; an empty trie cannot search
    automaton.make_automaton()
    return automaton


@functools.lru_cache(maxsize=4)  # one watch list at a time, plus a few in tests
def _engine(people: tuple[PersonNames, ...]) -> _Engine:
    return _Engine(people)


class Matcher:
    """Finds every tracked person named in a text, with character offsets into that text."""

    def __init__(self, people: Iterable[PersonNames], *, table: dict | None = None):
        """``table``: the people's ``expand.build_table``, when the caller has it already
        (``monitor.core.storage.matcher_cache`` keeps one per watch list); else it is built here."""
        self._engine = _engine(tuple(people)) if table is None else _Engine(tuple(people), table)
        self._names = [p.name for p in self._engine.people]
        self._iter = self._engine.automaton.iter

    @classmethod
    def from_watchlist(cls, watchlist: Watchlist) -> Matcher:
        """A matcher for the people of a validated config."""
        return cls(_from_entry(p) for p in watchlist.people)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def find(self, text: str) -> list[Match]:
        """Every match in ``text``, ordered by position; excluded and contained spans dropped."""
        folded, offsets = fold(text)
        raw = list(self._iter(" " + folded + " "))
        if "#" in folded:
            return self._resolve(self._hits(raw) + self._hashtag_hits(text, folded, offsets), text, folded, offsets)
        return self._resolve(self._hits(raw), text, folded, offsets) if raw else []

    def people_in(self, text: str) -> list[str]:
        """Names of the people ``text`` mentions, in order of first appearance."""
        return list(dict.fromkeys(m.person for m in self.find(text)))

    @staticmethod
    def _hits(raw) -> list[tuple]:
        # A key ending at padded index `end` covers folded [end - back_start, end - back_end).
        return [(end - back_start, end - back_end, entries) for end, (back_start, back_end, entries) in raw]

    def _scan(self, padded: str, positions: list[int], automaton) -> list[tuple]:
        return [
            (positions[start], positions[stop - 1] + 1, entries)
            for start, stop, entries in self._hits(automaton.iter(padded))
        ]

    def _hashtag_hits(self, text: str, folded: str, offsets: list[int] | None) -> list[tuple]:
        hits = []
        for tag in _HASHTAG.finditer(folded):
            start, end = tag.span(1)
            cuts = [i for i in range(start + 1, end) if _camel_cut(text, i if offsets is None else offsets[i])]
            spaced, positions = _split(folded, start, end, cuts)
            hits += self._scan(spaced, positions, self._engine.automaton)
            hits += [h for h in self._scan(spaced, positions, self._engine.inner) if h[1] == end]
        return hits

    def _resolve(self, hits: list[tuple], text: str, folded: str, offsets: list[int] | None) -> list[Match]:
        found, excluded, context = [], {}, {}
        for start, stop, entries in hits:
            for entry in entries:
                if entry[1] == ALIAS:
                    found.append((start, stop, entry))
                elif entry[1] == EXCLUDE:
                    excluded.setdefault(entry[0], []).append((start, stop))
                else:
                    context.setdefault(entry[0], []).append(start)
        kept = []
        for hit in found:
            start = self._stands(hit, excluded, context, text, folded, offsets)
            if start is not None:
                kept.append((start, *hit[1:]))
        kept.sort(key=lambda h: (h[0], h[0] - h[1], h[2][0]))
        reach: dict[int, int] = {}
        matches = []
        for start, stop, (person, _, alias, form, _) in kept:
            if stop <= reach.get(person, -1):
                continue  # inside a longer hit of the same person
            reach[person] = stop
            if offsets is not None:
                start, stop = offsets[start], offsets[stop - 1] + 1
            matches.append(Match(self._names[person], alias, start, stop, form))
        return sorted(set(matches), key=lambda m: (m.start, m.end, m.person))

    def _stands(self, hit, excluded, context, text, folded, offsets) -> int | None:
        """Where the hit starts (earlier when it takes in the person's given name), or None
        when it does not count."""
        start, stop, (person, _, _, _, flags) = hit
        if any(s <= start and stop <= e for s, e in excluded.get(person, ())):
            return None
        if flags & NEEDS_CONTEXT and not any(abs(c - start) <= CONTEXT_WINDOW for c in context.get(person, ())):
            return None
        if flags & FEMININE_TWIN and _after_womans_name(text, folded, offsets, start):
            return None
        if flags & (BARE_SURNAME | NEEDS_OWN_NAME):
            return self._after_given_name(person, start, flags, text, folded, offsets)
        return start

    def _after_given_name(self, person: int, start: int, flags: int, text, folded, offsets) -> int | None:
        """The namesake rule (``namesakes.judge``); the hit starts at the person's own given
        name when one precedes it."""
        engine = self._engine
        counts, begin = judge(
            preceding_words(text, folded, offsets, start),
            engine.own(person),
            lambda: own_given_skeletons(engine.people[person]),
            needs_own=bool(flags & NEEDS_OWN_NAME),
        )
        return (start if begin is None else begin) if counts else None


def _camel_cut(text: str, i: int) -> bool:
    before, here = text[i - 1], text[i]
    return (here.isupper() and before.islower()) or (here.isdigit() != before.isdigit())


def _split(folded: str, start: int, end: int, cuts: list[int]) -> tuple[str, list[int]]:
    """The hashtag body padded and split at ``cuts``; ``positions[k]`` is the folded index of
    the padded string's character ``k + 1``, as ``Matcher._scan`` counts."""
    pieces, positions, last = [" "], [], start
    for cut in [*cuts, end]:
        pieces += [folded[last:cut], " "]
        positions += [*range(last, cut), cut]
        last = cut
    return "".join(pieces), positions


def _after_womans_name(text: str, folded: str, offsets: list[int] | None, start: int) -> bool:
    words = folded[:start].split()
    if not words:
        return False
    first = folded.rfind(words[-1], 0, start)
    begin, stop = (
        (first, first + len(words[-1]))
        if offsets is None
        else (offsets[first], offsets[first + len(words[-1]) - 1] + 1)
    )
    return _is_womans_name(text[begin:stop])


@functools.lru_cache(maxsize=4096)
def _is_womans_name(word: str) -> bool:
    from monitor.matching.inflect import _analyzer, language
    from monitor.matching.translit import cyrillic_guess, is_latin

    word = cyrillic_guess(word) if is_latin(word) else word
    parses = _analyzer("uk" if language(word) == "uk" else "ru").parse(word)
    return any("Name" in p.tag and "femn" in p.tag and "sing" in p.tag for p in parses[:3])


def _from_entry(entry) -> PersonNames:
    return PersonNames(
        entry.name,
        tuple(entry.all_names()),
        tuple(entry.exclude),
        hashtags=tuple(entry.hashtags),
        handles=tuple(entry.handles),
        context=tuple(entry.context),
        gender=entry.gender,
        languages=tuple(entry.languages) if getattr(entry, "languages", None) is not None else None,
    )


def match_lines(matcher: Matcher, lines: Iterable[str]) -> Iterator[str]:
    """The ``monitor match`` contract: one JSON line out per JSON line in, in order."""
    find, loads = matcher.find, json.loads
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = loads(line)
            text = record["text"]
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg} at column {exc.colno})") from None
        except (KeyError, TypeError):
            raise ValueError(f'line {number}: expected a JSON object with "text"') from None
        matches = find(text) if isinstance(text, str) and text else []
        if not matches:
            # Most posts name nobody; writing their line by hand skips building a JSON encoder.
            yield _NOBODY % _json_id(record.get("id"))
            continue
        yield json.dumps(
            {
                "id": record.get("id"),
                "people": list(dict.fromkeys(m.person for m in matches)),
                "matches": [{"person": m.person, "alias": m.alias, "start": m.start, "end": m.end} for m in matches],
            },
            ensure_ascii=False,
        )


_NOBODY = '{"id": %s, "people": [], "matches": []}'


def _json_id(value) -> str:
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return _encode_string(value)
    return json.dumps(value, ensure_ascii=False)


_encode_string = json.encoder.encode_basestring
