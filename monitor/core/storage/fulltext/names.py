"""A tracked name's forms, for search on SQLite (FTS5 has no Russian stemmer).

The matcher's table (``monitor.matching.expand.build_table``) holds every case form of every
alias: "владимиром воронцовым" beside "Владимир Воронцов". A searched word that is the i-th
word of some form of an alias stands for the i-th word of every form of that alias
("воронцов" → воронцова, воронцову, воронцовым …); a searched phrase that is a whole form
stands for every form; forms in another script (transliterations) are left out. Built once per matcher (the matcher is cached per watch list).
"""

from __future__ import annotations

import unicodedata
import weakref
from collections import defaultdict

from monitor.core.storage.fulltext.query import words

MAX_FORMS = 64  # bounds one term's expansion: an FTS5 query of a few hundred phrases at most

_built: weakref.WeakKeyDictionary[object, Forms] = weakref.WeakKeyDictionary()


class Forms:
    """Word and phrase expansions of one watch list's names."""

    def __init__(self, table: dict):
        by_alias: dict[tuple, set[tuple[str, ...]]] = defaultdict(set)
        for entries in table.values():
            for entry in entries.values():
                form = words(entry[3])
                if form:
                    by_alias[(entry[0], entry[2], len(form))].add(form)
        self.words: dict[str, set[str]] = defaultdict(set)
        self.phrases: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        for forms in by_alias.values():
            for i in range(len(next(iter(forms)))):
                column = {form[i] for form in forms}
                for word in column:
                    self.words[word] |= column
            for form in forms:
                self.phrases[form] |= forms

    def expand(self, term: tuple[str, ...]) -> list[tuple[str, ...]]:
        """``term`` and the other forms it stands for, ``term`` first."""
        if len(term) == 1:
            found = [(w,) for w in sorted(self.words.get(term[0], ())) if w != term[0]]
        else:
            found = sorted(f for f in self.phrases.get(term, ()) if f != term)
        # Inflections, not transliterations: PostgreSQL's stemmers stay in the word's script too.
        script = _script(term)
        return [term, *[f for f in found if _script(f) == script][: MAX_FORMS - 1]]


def _script(words: tuple[str, ...]) -> str:
    """The script of the first letter ("CYRILLIC", "LATIN" …), or "" when there is none."""
    for ch in "".join(words):
        if ch.isalpha():
            return unicodedata.name(ch, "").split(" ")[0]
    return ""


def forms_of(matcher) -> Forms:
    """The ``Forms`` of a ``monitor.matching.Matcher`` (memoised while the matcher lives)."""
    forms = _built.get(matcher)
    if forms is None:
        forms = _built[matcher] = Forms(matcher._engine.table)
    return forms
