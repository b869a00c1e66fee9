"""Telling a namesake from the person watched: "Oleg Navalny" is not Alexei Navalny.

A bare surname right after a *different* given name names somebody else. A word is a given
name when pymorphy3 tags it ``Name`` (Russian and Ukrainian, capitalised in the post) or
when it is in the bundled list (``data/given_names.txt``, sources named there), whose
Cyrillic names are also expanded into every language the matcher writes. It is different
unless it is a form of one of the person's own given names (diminutives and generated
foreign forms included: ``own_given_keys``). Initials and patronymics in between are
skipped: they never make a name different.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Container
from importlib import resources

from monitor.matching.fold import fold_key

# Patronymics (Russian, Ukrainian, Belarusian; and their Latin spellings) in any case.
_PATRONYMIC = re.compile(
    r"(ович|евич|ьич|івн|ївн|овн|евн|ичн|ovich|evich|ovna|evna|owicz|ewicz|ovič|evič|ovych|evych|ivna|ovna)\w{0,3}$"
)
_SECTION = re.compile(r"^\[(\w+)\]$")
LOOK_BACK = 120  # characters before a surname searched for given names, initials, patronymics
_ENDINGS = ("", "a", "u", "e", "em", "om", "owi", "ovi", "s", "as", "o", "ui", "i", "y", "ie", "ą", "ę", "ou")


@functools.cache
def _sections() -> dict[str, list[str]]:
    """Section name → lines of the bundled list (comments dropped)."""
    text = resources.files("monitor.matching").joinpath("data/given_names.txt").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        header = _SECTION.match(line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is not None:
            current.append(line)
    return sections


@functools.cache
def diminutives() -> dict[str, tuple[str, ...]]:
    """Lower-case Cyrillic full name → its diminutives (Алексей → алёша, лёша…)."""
    table = {}
    for line in _sections().get("diminutives", []):
        name, _, forms = line.partition(":")
        table[name.strip().lower()] = tuple(f.lower() for f in forms.split())
    return table


def script(word: str) -> str:
    """The script of a word's first letter: LATIN, CYRILLIC, GREEK, HEBREW…"""
    letter = next((ch for ch in word if ch.isalpha()), "")
    return unicodedata.name(letter, "?").split()[0] if letter else ""


@functools.cache
def known_given_keys() -> dict[str, frozenset[str]]:
    """Script → folded forms of every bundled given name written in it; the Cyrillic ones
    also in every language's forms. Kept per script because other scripts fold onto Latin
    letters: Hebrew שמרט (and Marat) must not make the Slovak word smrť a name."""
    from monitor.matching.declension import LANGUAGES, foreign_forms, with_prefixes

    forms: set[str] = set()
    for section, lines in _sections().items():
        if section == "diminutives":
            continue
        for name in (n for line in lines for n in line.split()):
            forms |= {name + ending for ending in (_ENDINGS if section == "latin" else ("",))}
            if section == "cyrillic":
                for lang in LANGUAGES:
                    forms |= {
                        p for form in foreign_forms(name.lower(), lang, "", False) for p in with_prefixes(form, lang)
                    }
    forms |= {f for names in diminutives().values() for f in names}
    keys: dict[str, set[str]] = {}
    for form in forms:
        key = fold_key(form)
        if key and " " not in key:
            keys.setdefault(script(form), set()).add(key)
    return {name: frozenset(values) for name, values in keys.items()}


def _cased(ch: str) -> bool:
    """Whether names are capitalised in ``ch``'s script (Georgian's capitals are not used so)."""
    return ch.lower() != ch.upper() and not "\u10a0" <= ch <= "\u10ff"


def is_initial_or_patronymic(word: str) -> bool:
    """A one-letter word (an initial) or a patronymic (Анатольевич, Anatolyevich), lower case."""
    return len(word) == 1 or bool(_PATRONYMIC.search(word))


@functools.lru_cache(maxsize=8192)
def is_given_name(word: str) -> bool:
    """Whether the original-text ``word`` is a known given name, in any case or script."""
    key = fold_key(word)
    if not key or " " in key or (_cased(word[:1]) and not word[:1].isupper()):
        return False  # names are capitalised where the script has capitals: "роман" is a novel
    if key in known_given_keys().get(script(word), ()):
        return True
    if not any("\u0400" <= ch <= "\u04ff" for ch in word):
        return False
    from monitor.matching.inflect import _analyzer, language

    parses = _analyzer("uk" if language(word) == "uk" else "ru").parse(word)
    return any("Name" in p.tag and p.score >= 0.25 for p in parses[:3])


def judge(preceding, own: Container[str], own_skeletons, *, needs_own: bool) -> tuple[bool, int | None]:
    """Whether a surname hit counts, given the ``preceding`` words (``preceding_words``), and
    the folded start of the person's own given name when that is what precedes it.

    ``own`` are the folded forms of the person's given names; ``own_skeletons()`` their
    skeletons, asked for only when a known given name is not among them. ``needs_own``:
    the hit counts only after the person's own given name (another language's form of a
    full name's surname)."""
    for word, begin in preceding:
        key = fold_key(word)
        if len(key) == 1 or is_initial_or_patronymic(word.lower()):
            continue  # initials and patronymics never make a name different
        if key in own:
            return True, begin
        known = is_given_name(word)
        if known and same_name(word, own_skeletons()):
            return True, begin  # the own name in a spelling we did not generate (Ukrainian Іллю)
        return not (needs_own or known), None
    return not needs_own, None


def preceding_words(text: str, folded: str, offsets: list[int] | None, start: int, count: int = 3):
    """Up to ``count`` (word as written, its folded start) before folded index ``start``,
    nearest first; a sentence end between two words stops the walk (an initial's dot does not)."""
    found, end = [], start
    window = max(0, start - LOOK_BACK)  # bounded: a post of ten thousand surnames stays linear
    for begin, stop in reversed([(b + window, e + window) for b, e in _words(folded[window:start], count)]):
        gap = text[_orig(offsets, stop) : _orig(offsets, end)]
        if any(ch in gap for ch in ".!?;\n") and stop - begin > 1:
            break
        found.append((text[_orig(offsets, begin) : _orig(offsets, stop)], begin))
        end = begin
    return found


def _words(prefix: str, count: int) -> list[tuple[int, int]]:
    spans = []
    end = len(prefix)
    while len(spans) < count:
        stop = len(prefix[:end].rstrip())
        if stop == 0:
            break
        begin = prefix.rfind(" ", 0, stop) + 1
        spans.append((begin, stop))
        end = begin
    return list(reversed(spans))


def _orig(offsets: list[int] | None, index: int) -> int:
    return index if offsets is None else offsets[index]


def skeleton(word: str) -> str:
    """A given name's consonants in Latin letters (Алексей, Олексій, Alexej → lks), for
    telling the person's own name in a spelling we did not generate from another name."""
    from monitor.matching.scripts import spell

    low = word.lower().replace("ў", "в")
    if script(low) == "CYRILLIC":
        low = spell(low, "cs")[0]
    low = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
    low = low.replace("x", "ks").replace("w", "v").replace("ph", "f")
    consonants = [c for c in low if c.isalpha() and c not in "aeiouyjh"]
    bones = "".join(c for i, c in enumerate(consonants) if not i or consonants[i - 1] != c)
    if len(bones) < 2 and low[:1].isalpha():
        bones = low[:1].replace("y", "i").replace("j", "i") + bones  # one consonant is too little: Ilja "il", Leo "ll"
    return bones


def same_name(word: str, own: frozenset[str]) -> bool:
    """Whether ``word`` (as written) has the skeleton of one of ``own`` skeletons, allowing
    one more consonant for a case ending (Олексієм)."""
    mine = skeleton(word)
    return any(mine == s or (len(s) >= 2 and mine.startswith(s) and len(mine) - len(s) <= 1) for s in own)
