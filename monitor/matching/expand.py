"""From one configured person to every folded key the automaton looks for.

A key is a folded form between two sentinel spaces (" яшину "), so a hit in the padded,
folded post is already a whole-word hit: no per-hit boundary check. Context terms are
prefixes (" полиц") and carry only the leading sentinel.

Each key maps to entries ``(person, kind, alias, form, flags)``: ``alias`` is the
configured alias the form came from, ``form`` the generated spelling that fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.matching.fold import fold_key
from monitor.matching.inflect import FEMALE, MALE, feminine_surname, guess_gender, phrase_forms
from monitor.matching.translit import cyrillic_guess, is_latin, latin_spellings, polish_declined

ALIAS, EXCLUDE, CONTEXT = 0, 1, 2
NEEDS_CONTEXT, FEMININE_TWIN = 1, 2


@dataclass(frozen=True)
class PersonNames:
    """A tracked person as the matcher needs them; all but ``name`` and ``aliases`` optional."""

    name: str
    aliases: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    gender: str = ""


def usable(alias: str) -> bool:
    """An alias long enough to be a name: two letters or more once folded."""
    return len(fold_key(alias).replace(" ", "")) >= 2


def person_gender(person: PersonNames) -> str:
    """'m' or 'f': as configured, else guessed from the Cyrillic words of the names."""
    if person.gender[:1].lower() in (MALE, FEMALE):
        return person.gender[:1].lower()
    words = [w for phrase in (person.name, *person.aliases) for w in phrase.split()]
    cyrillic = [w for w in words if not is_latin(w)] or [cyrillic_guess(w) for w in words]
    return guess_gender(cyrillic)


def alias_forms(alias: str, gender: str) -> set[str]:
    """Every spelling of ``alias``: its case forms and the Latin (or Cyrillic) spellings."""
    alias = " ".join(alias.split())
    latin = is_latin(alias)
    cyrillic = cyrillic_guess(alias) if latin else alias
    forms = {alias} | phrase_forms(cyrillic, gender)
    nominative = cyrillic.lower()
    spellings = latin_spellings(nominative)
    forms |= spellings
    if gender == MALE:
        forms |= polish_declined(nominative)
    return forms


def feminine_twins(alias: str, gender: str) -> set[str]:
    """Folded keys that are a case form of a man's surname and also a woman's (Яшина)."""
    words = alias.split()
    if gender != MALE or len(words) != 1:
        return set()
    word = cyrillic_guess(words[0]) if is_latin(words[0]) else words[0]
    twin = feminine_surname(word)
    if twin is None:
        return set()
    return {fold_key(twin)} | {fold_key(s) for s in latin_spellings(twin)}


def person_keys(index: int, person: PersonNames) -> Iterable[tuple[str, tuple]]:
    """(key, entry) pairs for one person; the person's own spellings come first."""
    gender = person_gender(person)
    aliases = [a for a in dict.fromkeys((person.name, *person.aliases)) if usable(a)]
    for alias in aliases:
        yield _full(fold_key(alias)), (index, ALIAS, alias, alias, _flags(person, fold_key(alias), set()))
    for tag in (*person.hashtags, *person.handles):
        if usable(tag):
            yield _full(fold_key(tag)), (index, ALIAS, tag, tag, 0)
    for alias in aliases:
        twins = feminine_twins(alias, gender)
        for form in alias_forms(alias, gender):
            key = fold_key(form)
            if len(key.replace(" ", "")) >= 2:
                yield _full(key), (index, ALIAS, alias, form, _flags(person, key, twins))
    for phrase in person.exclude:
        if usable(phrase):
            for form in alias_forms(phrase, guess_gender(phrase.split())) | {phrase}:
                yield _full(fold_key(form)), (index, EXCLUDE, phrase, form, 0)
    for term in person.context:
        if usable(term):
            yield " " + fold_key(term), (index, CONTEXT, term, term, 0)


def _full(key: str) -> str:
    return f" {key} "


def _flags(person: PersonNames, key: str, twins: set[str]) -> int:
    flags = 0
    if person.context and " " not in key:
        flags |= NEEDS_CONTEXT
    if key in twins:
        flags |= FEMININE_TWIN
    return flags


def build_table(people: list[PersonNames]) -> dict[str, dict[tuple[int, int], tuple]]:
    """key → {(person, kind): entry}; the first entry for a person and kind wins."""
    table: dict[str, dict[tuple[int, int], tuple]] = {}
    for index, person in enumerate(people):
        for key, entry in person_keys(index, person):
            table.setdefault(key, {}).setdefault((entry[0], entry[1]), entry)
    return table
