"""Finding tracked people in text. Pure: no database, no network.

``Matcher.find(text)`` is the one entry point the rest of the monitor uses; the engine
behind it (today: one case-insensitive regular expression per person, word boundaries
on both sides, exclude phrases cancelling matches they cover) can change without
touching callers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from monitor.watchlist import Watchlist


@dataclass(frozen=True)
class Match:
    person: str
    alias: str
    start: int
    end: int


@dataclass(frozen=True)
class PersonNames:
    name: str
    aliases: tuple[str, ...]
    exclude: tuple[str, ...] = ()


def _pattern(phrases: Iterable[str]) -> re.Pattern | None:
    # Longest first so that "Vladimir Vorontsov" wins over "Vorontsov" at the same place.
    words = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    if not words:
        return None
    body = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in words)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


class Matcher:
    """Finds every tracked person named in a text, with character offsets."""

    def __init__(self, people: Iterable[PersonNames]):
        self._people = [(p, _pattern((p.name, *p.aliases)), _pattern(p.exclude)) for p in people]

    @classmethod
    def from_watchlist(cls, watchlist: Watchlist) -> "Matcher":
        return cls(PersonNames(p.name, tuple(p.all_names()), tuple(p.exclude)) for p in watchlist.people)

    @classmethod
    def from_db(cls, session) -> "Matcher":
        from monitor.store import active_people

        return cls(PersonNames(p.name, tuple(a), tuple(e)) for p, a, e in active_people(session))

    @property
    def names(self) -> list[str]:
        return [p.name for p, _, _ in self._people]

    def find(self, text: str) -> list[Match]:
        """Every match in ``text``, ordered by position; excluded spans are dropped."""
        found: list[Match] = []
        for person, pattern, exclude in self._people:
            if pattern is None:
                continue
            blocked = [m.span() for m in exclude.finditer(text)] if exclude else []
            for m in pattern.finditer(text):
                if not any(s <= m.start() and m.end() <= e for s, e in blocked):
                    found.append(Match(person.name, _alias_for(person, m.group(0)), m.start(), m.end()))
        return sorted(found, key=lambda m: (m.start, m.end, m.person))

    def people_in(self, text: str) -> list[str]:
        """Names of the people ``text`` mentions, in order of first appearance."""
        return list(dict.fromkeys(m.person for m in self.find(text)))


def _alias_for(person: PersonNames, matched: str) -> str:
    folded = " ".join(matched.split()).casefold()
    for alias in (person.name, *person.aliases):
        if " ".join(alias.split()).casefold() == folded:
            return alias
    return matched


def match_lines(matcher: Matcher, lines: Iterable[str]) -> Iterator[str]:
    """The ``monitor match`` contract: one JSON line out per JSON line in, in order."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: expected a JSON object with \"text\": {exc}") from None
        matches = matcher.find(text if isinstance(text, str) else "")
        yield json.dumps(
            {
                "id": record.get("id"),
                "people": list(dict.fromkeys(m.person for m in matches)),
                "matches": [{"person": m.person, "alias": m.alias, "start": m.start, "end": m.end} for m in matches],
            },
            ensure_ascii=False,
        )
