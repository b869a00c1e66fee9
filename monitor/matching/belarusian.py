"""Belarusian and Ukrainian spellings of Russian names: Алексей → Аляксей, Горинов → Гарынаў,
Навальный → Навальний.

Belarusian writes what it hears (the 2008 law on the rules of Belarusian orthography and
punctuation, §§ 1–20): unstressed о is а (akanye), е just before the stress is я
(yakanye), и is і (ы after the hard ж ш ч ц р), е after them is э, д and т before a soft
vowel are дз and ц, в after a vowel and before a consonant or at the end is ў, щ is шч.

We do not know where the stress falls, so each vowel in turn is taken as stressed and
every resulting spelling is kept: a handful per word, only one of which is real, and the
others are not words anyone writes.
"""

from __future__ import annotations

import functools

VOWELS = set("аеёиоуыэюя")
HARD = set("жшчцр")
SOFT_VOWELS = set("еёиюяь")


@functools.cache
def belarusian_spellings(word: str, *, surname: bool = True) -> tuple[str, ...]:
    """Belarusian spellings of a lower-case Russian word (hyphenated parts one by one)."""
    if "-" in word:
        parts = [belarusian_spellings(p, surname=surname) for p in word.split("-")]
        return tuple(dict.fromkeys("-".join(combo) for combo in _pairs(parts)))
    if not word:
        return ("",)
    stem, ending = _split_ending(word, surname)
    vowels = [i for i, ch in enumerate(stem) if ch in VOWELS] or [-1]
    stressed = [i for i in vowels if stem[i] != "ё"] if "ё" not in stem else [stem.index("ё")]
    return tuple(dict.fromkeys(_respell(stem, s) + ending for s in stressed or [-1]))


def _pairs(parts: list[tuple[str, ...]]):
    import itertools

    return itertools.islice(itertools.product(*parts), 8)


def _split_ending(word: str, surname: bool) -> tuple[str, str]:
    """Adjectival endings of surnames: -ый → -ы, -ий → -і (-ы after hard consonants)."""
    if surname and word.endswith(("ый", "ий")) and len(word) > 3:
        stem = word[:-2]
        return stem, "ы" if word.endswith("ый") or stem[-1] in HARD else "і"
    return word, ""


def _respell(word: str, stress: int) -> str:
    """``word`` in Belarusian letters with the vowel at index ``stress`` stressed."""
    out = []
    pretonic = max((i for i in range(stress) if word[i] in VOWELS), default=-1) if stress >= 0 else -1
    for i, ch in enumerate(word):
        prev = word[i - 1] if i else ""
        nxt = word[i + 1] if i + 1 < len(word) else ""
        out.append(_letter(ch, prev, nxt, i, stress, pretonic, first=i == 0))
    return "".join(out)


def _letter(ch: str, prev: str, nxt: str, i: int, stress: int, pretonic: int, *, first: bool) -> str:
    if ch == "о":
        return "о" if i == stress else "а"
    if ch == "е":
        if prev in HARD:
            return "э"
        if i == pretonic and (first or prev not in VOWELS):
            return "я"
        return "е"
    if ch == "и":
        return "ы" if prev in HARD else "і"
    if ch == "щ":
        return "шч"
    if ch == "ъ":
        return "'"
    if ch == "д" and nxt in SOFT_VOWELS and prev != "ж":
        return "дз"
    if ch == "т" and nxt in SOFT_VOWELS:
        return "ц"
    if ch == "в" and (prev in VOWELS or first) and (not nxt or nxt not in VOWELS):
        return "у" if first else "ў"
    return ch


_UKRAINIAN = str.maketrans({"ы": "и", "э": "е", "ъ": "'", "ё": "ьо"})


@functools.cache
def ukrainian_spellings(word: str) -> tuple[str, ...]:
    """Ukrainian spelling of a lower-case Russian word (Ukrainian orthography 2019, § 2 on the
    letters і, и, є): и is і except after hushing consonants and ц, ы is и, э is е, -ский
    is -ський."""
    if "-" in word:
        return ("-".join(ukrainian_spellings(p)[0] for p in word.split("-")),)
    out = []
    for i, ch in enumerate(word):
        prev = word[i - 1] if i else ""
        if ch == "и" and prev not in "жшчщц" and not (i == len(word) - 2 and word.endswith("ий")):
            out.append("і")
        elif ch == "е" and (not prev or prev in VOWELS):
            out.append("є")
        else:
            out.append(ch)
    spelling = "".join(out).translate(_UKRAINIAN)
    for russian, ukrainian in (("ский", "ський"), ("цкий", "цький"), ("ей", "ій")):
        if spelling.endswith(russian):
            spelling = spelling[: -len(russian)] + ukrainian
    return (spelling,)
