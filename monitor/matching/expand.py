"""From one configured person to every folded key the automaton looks for.

A key is a folded form between two sentinel spaces (" яшину "), so a hit in the padded,
folded post is already a whole-word hit: no per-hit boundary check. Context terms are
prefixes (" полиц") and carry only the leading sentinel.

Each key maps to entries ``(person, kind, alias, form, flags)``: ``alias`` is the
configured alias the form came from, ``form`` the generated spelling that fired.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.matching.declension import LANGUAGES, foreign_forms, with_prefixes
from monitor.matching.fold import fold_key
from monitor.matching.inflect import FEMALE, MALE, feminine_surname, guess_gender, phrase_forms, word_forms
from monitor.matching.namesakes import diminutives, is_initial_or_patronymic, skeleton
from monitor.matching.translit import cyrillic_guess, is_latin, latin_spellings, polish_declined

ALIAS, EXCLUDE, CONTEXT = 0, 1, 2
# BARE_SURNAME: a one-word alias's form; it does not count right after a different given name.
# NEEDS_OWN_NAME: another language's form of a full name's surname; it counts only right
# after one of the person's own given names.
NEEDS_CONTEXT, FEMININE_TWIN, BARE_SURNAME, NEEDS_OWN_NAME = 1, 2, 4, 8
EXCLUSION_FORMS = 64  # per exclusion and language: phrases multiply their words' forms


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
    languages: tuple[str, ...] | None = None  # languages to spell the names in; None: all we know


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
        bare = BARE_SURNAME if len(alias.split()) == 1 else 0
        yield _full(fold_key(alias)), (index, ALIAS, alias, alias, _flags(person, fold_key(alias), set()) | bare)
    for tag in (*person.hashtags, *person.handles):
        if usable(tag):
            yield _full(fold_key(tag)), (index, ALIAS, tag, tag, 0)
    for alias in aliases:
        twins = feminine_twins(alias, gender)
        bare = BARE_SURNAME if len(alias.split()) == 1 else 0
        for form in alias_forms(alias, gender):
            key = fold_key(form)
            if len(key.replace(" ", "")) >= 2:
                yield _full(key), (index, ALIAS, alias, form, _flags(person, key, twins) | bare)
    yield from _foreign_entries(index, person, aliases, gender)
    for phrase in person.exclude:
        if usable(phrase):
            for form in alias_forms(phrase, guess_gender(phrase.split())) | {phrase} | exclusion_forms(phrase):
                yield _full(fold_key(form)), (index, EXCLUDE, phrase, form, 0)
    for term in person.context:
        if usable(term):
            yield " " + fold_key(term), (index, CONTEXT, term, term, 0)


def _foreign_entries(index: int, person: PersonNames, aliases: list[str], gender: str):
    """(key, entry) pairs of every other language's forms of the aliases' surnames.

    One-word aliases first: where a full name's surname form is also a bare alias's, it
    counts alone (the first entry of a key wins). Latin aliases are spelt from their
    Cyrillic guess only when no alias is Cyrillic: a real Cyrillic alias spells better."""
    languages, done = person_languages(person), set()
    cyrillic = [a for a in aliases if not is_latin(a)]
    for alias in sorted(cyrillic or aliases, key=lambda a: len(a.split()) > 1):
        surname = _cyrillic(alias).split()[-1].lower()
        if surname in done:
            continue
        done.add(surname)
        flag = BARE_SURNAME if len(alias.split()) == 1 else NEEDS_OWN_NAME
        twins = feminine_twins(alias, gender)
        for key, form in _foreign_keys(surname, gender, languages):
            yield key, (index, ALIAS, alias, form, _flags(person, key[1:-1], twins) | flag)


def person_languages(person: PersonNames) -> tuple[str, ...]:
    """The languages whose spellings are generated: as configured, else every one we know."""
    if person.languages is None:
        return LANGUAGES
    return tuple(lang for lang in person.languages if lang in LANGUAGES)


def _cyrillic(phrase: str) -> str:
    phrase = " ".join(phrase.split())
    return cyrillic_guess(phrase) if is_latin(phrase) else phrase


@functools.lru_cache(maxsize=8192)  # a person's full name and bare surname share one surname
def _foreign_keys(surname: str, gender: str, languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(padded folded key, form) of every other-language form of a surname worth a key."""
    keys: dict[str, str] = {}
    for lang in languages:
        prefixes = [(p, fold_key(p)) for p in sorted(with_prefixes("", lang))]
        for form in sorted(foreign_forms(surname, lang, gender, True)):
            base = fold_key(form)  # folding is letter by letter: fold a prefix once, not per form
            if len(base.replace(" ", "")) >= 3:
                for prefix, folded in prefixes:
                    keys.setdefault(_full(folded + base), prefix + form)
    return tuple(keys.items())


def exclusion_forms(phrase: str) -> set[str]:
    """An exclusion written once, in every language: each word's forms there, combined."""
    words = _cyrillic(phrase).lower().split()
    gender = guess_gender(_cyrillic(phrase).split())
    forms: set[str] = set()
    for lang in LANGUAGES:
        options = [sorted(foreign_forms(w, lang, gender, i == len(words) - 1)) for i, w in enumerate(words)]
        for combo in itertools.islice(itertools.product(*options), EXCLUSION_FORMS):
            forms |= with_prefixes(" ".join(combo), lang)
    return forms


def own_given_skeletons(person: PersonNames) -> frozenset[str]:
    """Consonant skeletons of the person's given names (see ``namesakes.skeleton``)."""
    words = {w for phrase in (person.name, *person.aliases) for w in _cyrillic(phrase).split()[:-1]}
    return frozenset(s for s in map(skeleton, words) if s)


def given_keys_as_written(person: PersonNames) -> frozenset[str]:
    """Folded given names of the person as configured (every word of a full name but the
    surname): the first part of ``own_given_keys``, cheap enough to try before the rest."""
    return frozenset(fold_key(w) for phrase in (person.name, *person.aliases) for w in phrase.split()[:-1])


def own_given_keys(person: PersonNames) -> frozenset[str]:
    """Folded forms of the person's given names (every word of a full name but the surname),
    in every case, language and diminutive; patronymics left out."""
    gender, languages = person_gender(person), person_languages(person)
    phrases = (person.name, *person.aliases)
    keys = set(given_keys_as_written(person))
    for word in {w for phrase in phrases for w in _cyrillic(phrase).split()[:-1]}:
        if not is_initial_or_patronymic(word.lower()):
            keys |= _given_keys(word, gender, languages)
    return frozenset(keys)


@functools.lru_cache(maxsize=4096)  # a thousand people share a few hundred given names
def _given_keys(word: str, gender: str, languages: tuple[str, ...]) -> frozenset[str]:
    forms: set[str] = set()
    for name in (word, *(d.capitalize() for d in diminutives().get(word.lower(), ()))):
        forms |= {f for case in word_forms(name, gender).values() for f in case} | latin_spellings(name.lower())
        for lang in languages:
            forms |= {p for f in foreign_forms(name.lower(), lang, gender, False) for p in with_prefixes(f, lang)}
    return frozenset(k for k in map(fold_key, forms) if k and " " not in k)


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
