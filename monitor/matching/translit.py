"""Latin spellings of Cyrillic names, and Cyrillic guesses for Latin ones.

``latin_spellings(phrase)`` runs a Cyrillic phrase through the Russian schemes iuliia
carries (popular/Wikipedia, BGN/PCGN, ISO 9/GOST, scholarly, ICAO passports, French…),
plus small tables of our own for German (Jaschin, Kara-Mursa), Polish (Jaszyn, Nawalny)
and Ukrainian/Belarusian letters, and adds the usual endings of -ий/-ый names
(Navalny, Navalnyy, Navalniy, Navalnyi). ``cyrillic_guesses(latin)`` reverses the popular
spellings so that a Latin alias (Vorontsov) can be inflected as «Воронцов».
"""

from __future__ import annotations

import functools
import re

IULIIA_SCHEMES = (
    "wikipedia",
    "bgn_pcgn",
    "scientific",
    "icao_doc_9303",
    "mosmetro",
    "telegram",
    "ala_lc_alt",
    "yandex_maps",
    "gost_7034",
    "mvd_310_fr",
    "gost_52290",
)

_COMMON = dict(zip("абвгдезиклмнопрстуфыэ", "abvgdeziklmnoprstufye"))
_GERMAN = {
    **_COMMON,
    "в": "w",
    "ж": "sch",
    "з": "s",
    "й": "j",
    "х": "ch",
    "ц": "z",
    "ч": "tsch",
    "ш": "sch",
    "щ": "schtsch",
    "ю": "ju",
    "я": "ja",
    "ё": "jo",
    "ь": "",
    "ъ": "",
    "і": "i",
    "ї": "ji",
    "є": "je",
    "ґ": "g",
    "ў": "w",
}
_POLISH = {
    **_COMMON,
    "в": "w",
    "ж": "ż",
    "х": "ch",
    "ц": "c",
    "ч": "cz",
    "ш": "sz",
    "щ": "szcz",
    "й": "j",
    "ю": "ju",
    "я": "ja",
    "ё": "jo",
    "ь": "",
    "ъ": "",
    "л": "ł",
    "і": "i",
    "ї": "ji",
    "є": "je",
    "ґ": "g",
    "ў": "ł",
}
_UKRAINIAN = {
    **_COMMON,
    "г": "h",
    "ґ": "g",
    "и": "y",
    "і": "i",
    "ї": "i",
    "є": "ie",
    "ж": "zh",
    "й": "i",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ю": "iu",
    "я": "ia",
    "ь": "",
    "ъ": "",
    "ё": "io",
    "ў": "u",
}
_SIMPLE = {
    **_COMMON,
    "ё": "yo",
    "ж": "zh",
    "й": "y",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ю": "yu",
    "я": "ya",
    "ь": "",
    "ъ": "",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
    "ў": "w",
}
_IOTATED = {"е": "je", "ю": "ju", "я": "ja", "ё": "jo"}
_PL_SOFT = {"я": "ia", "ю": "iu", "ё": "io"}
_ENDINGS = ("y", "yy", "iy", "yi", "i", "ij", "yj", "ii")


def _table_translit(word: str, table: dict[str, str], *, polish: bool = False, iotate: str = "") -> str:
    out = []
    low = word.lower()
    for i, ch in enumerate(low):
        prev = low[i - 1] if i else ""
        nxt = low[i + 1] if i + 1 < len(low) else ""
        if iotate and ch in _IOTATED and (not prev or prev in "аеёиоуыэюяьъ"):
            out.append(_IOTATED[ch].replace("j", iotate))
        elif polish and ch == "и" and prev in "жшцч":
            out.append("y")
        elif polish and ch == "л" and nxt in "еёиюяьі":
            out.append("l")
        elif polish and ch in _PL_SOFT and prev == "л":
            out.append(_PL_SOFT[ch][1:])  # Polish l is already soft: Бяляцкі → Białacki
        elif polish and ch in _PL_SOFT and prev and prev not in "аеёиоуыэюяьъ":
            out.append(_PL_SOFT[ch])
        else:
            out.append(table.get(ch, ch))
    return "".join(out)


@functools.cache
def _iuliia_schemes():
    import iuliia

    return [iuliia.schemas.get(name) for name in IULIIA_SCHEMES]


@functools.cache
def word_spellings(word: str) -> tuple[str, ...]:
    """Latin spellings of one lower-case Cyrillic word, one per scheme (with repeats)."""
    spellings = [scheme.translate(word) for scheme in _iuliia_schemes()]
    german = _table_translit(word, _GERMAN, iotate="j")
    spellings += [
        german,
        german.replace("lja", "la").replace("lju", "lu"),  # Dschelal beside Dscheljal
        _table_translit(word, _POLISH, polish=True, iotate="j"),
        _table_translit(word, _UKRAINIAN, iotate="y"),
        _table_translit(word, _SIMPLE, iotate="y"),
        _table_translit(word, _SIMPLE),
    ]
    return tuple(spellings)


def latin_spellings(phrase: str) -> set[str]:
    """Latin spellings of a lower-case Cyrillic phrase, scheme by scheme, -ий/-ый endings varied."""
    words = phrase.split()
    per_word = [word_spellings(w) for w in words]
    result: set[str] = set()
    for scheme in range(len(per_word[0])):
        result.add(" ".join(spellings[scheme] for spellings in per_word))
    result |= {s.replace("ks", "x") for s in result if "ks" in s}  # Alexei, Alexander
    if words and words[-1].endswith(("ий", "ый")):
        stems = {
            " ".join(w[scheme] for w in per_word[:-1]) + " " + _table_translit(words[-1][:-2], _SIMPLE)
            for scheme in range(len(per_word[0]))
        }
        stems |= {s.replace("v", "w") for s in stems}
        result |= {(stem + end).strip() for stem in stems for end in _ENDINGS}
    return result


_LAT2CYR = [
    ("shch", "щ"),
    ("schtsch", "щ"),
    ("tsch", "ч"),
    ("sch", "ш"),
    ("szcz", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("tz", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("sz", "ш"),
    ("cz", "ч"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("yo", "ё"),
    ("jo", "ё"),
    ("ye", "е"),
    ("je", "е"),
    ("iy", "ий"),
    ("yy", "ый"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("w", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "ц"),
    ("y", "ы"),
    ("j", "й"),
    ("x", "кс"),
    ("q", "к"),
]
_LAT2CYR_RE = re.compile("|".join(re.escape(k) for k, _ in _LAT2CYR))
_LAT2CYR_MAP = dict(_LAT2CYR)


def cyrillic_guess(latin: str) -> str:
    """One plausible Cyrillic spelling of a Latin name (Vorontsov → Воронцов), case kept per word."""

    def word(w: str) -> str:
        low = w.lower()
        if low.endswith("y") and len(low) > 3 and low[-2] not in "aeiouy":
            low = low[:-1] + "yy"  # Navalny → Навальный
        cyr = _LAT2CYR_RE.sub(lambda m: _LAT2CYR_MAP[m.group()], low)
        cyr = re.sub(r"^ы", "й", cyr)
        return cyr[:1].upper() + cyr[1:] if w[:1].isupper() else cyr

    return " ".join("-".join(word(part) for part in w.split("-")) for w in latin.split())


def is_latin(text: str) -> bool:
    """True when ``text`` has Latin letters and no Cyrillic ones."""
    return bool(re.search("[A-Za-z]", text)) and not re.search("[\u0400-\u04ff]", text)


_POLISH_CASES = {"": ("a", "owi", "em", "ie"), "ый": ("ego", "emu", "ym"), "ий": ("ego", "emu", "im")}


def polish_declined(phrase: str) -> set[str]:
    """Polish case forms of a lower-case Cyrillic man's name: Яшин → Jaszyna, Jaszynowi…;
    Навальный → Nawalnego, Nawalnym. Earlier words stay as they are in the nominative."""
    words = phrase.split()
    last = words[-1]
    ending = last[-2:] if last.endswith(("ый", "ий")) else ""
    if not ending and last[-1:] in "аяоеиыуюьй":
        return set()
    head = " ".join(_table_translit(w, _POLISH, polish=True, iotate="j") for w in words[:-1])
    stem = _table_translit(last[: len(last) - len(ending)], _POLISH, polish=True, iotate="j")
    return {f"{head} {stem}{end}".strip() for end in _POLISH_CASES[ending]}
