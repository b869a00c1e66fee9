"""Is a new person someone already tracked? Checked before an admin adds a person on the web.

Two people sharing a name count every mention twice, open two spike cards and send two alerts
(one of them after the first spike was marked expected). A name or alias that equals, case
and spacing aside, a name or alias of a tracked person is refused; a name the watch list's own
matcher recognises as a tracked person (another case, script or spelling of them), or with a
surname-length word that starts like one of theirs in any script ("Воронцова" and "Vorontsov":
a wife, a sister, or the same man), is a warning the admin may overrule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from monitor.core.models import Alias, Person
from monitor.matching import Matcher
from monitor.matching.translit import word_spellings

MIN_SHARED_WORD = 5  # shorter words ("Anna", "Ivan", "de") are shared by too many unrelated names


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class Overlap:
    """Names of the new person that belong to tracked people: ``exact`` ones refuse the addition."""

    exact: list[tuple[str, str]] = field(default_factory=list)  # (new name, tracked person)
    similar: list[tuple[str, str]] = field(default_factory=list)

    def refusal(self) -> str | None:
        """The one-line error for an exact overlap, or None."""
        if not self.exact:
            return None
        name, person = self.exact[0]
        return f"name: {name!r} is already a name of {person!r}: add it there instead"

    def warning(self) -> str | None:
        """The one-line warning for similar names, or None."""
        if not self.similar:
            return None
        shown = "; ".join(f"{name!r} looks like {person!r}" for name, person in self.similar[:3])
        return f"{shown}. Is this the same person? Tick “add anyway” if not."


def _tracked_names(session: Session) -> dict[str, str]:
    """Folded name or alias → the tracked person it belongs to."""
    names = {_key(p.name): p.name for p in session.exec(select(Person))}
    for text, person in session.exec(
        select(Alias.text, Person.name).join(Person, Person.id == Alias.person_id).where(Alias.kind == "alias")
    ):
        names.setdefault(_key(text), person)
    return names


def find_overlap(session: Session, names: list[str], *, matcher: Matcher) -> Overlap:
    """How ``names`` (the new person's name and aliases) overlap the tracked people."""
    tracked = _tracked_names(session)
    stems = {stem: p for key, p in tracked.items() for w in key.split() for stem in _latin(w)}
    found = Overlap()
    for name in names:
        if _key(name) in tracked:
            found.exact.append((name, tracked[_key(name)]))
            continue
        person = next((m.person for m in matcher.find(name)), None) or _shared_stem(name, stems)
        if person and (name, person) not in found.similar:
            found.similar.append((name, person))
    return found


def _latin(word: str) -> set[str]:
    """Lower-case Latin spellings of a surname-length ``word`` (none for short words)."""
    if len(word) < MIN_SHARED_WORD:
        return set()
    return {s.casefold() for s in word_spellings(word)} | {word.casefold()}


def _shared_stem(name: str, stems: dict[str, str]) -> str | None:
    """The tracked person one of whose words starts ``name``'s word or is started by it."""
    for word in _key(name).split():
        for spelling in _latin(word):
            for stem, person in stems.items():
                if spelling.startswith(stem) or stem.startswith(spelling):
                    return person
    return None
