"""A Russian name's forms in another language: its spelling there, declined there.

``foreign_forms(word, lang, gender, surname=…)`` takes one lower-case Cyrillic word of an
alias and returns the lower-case forms the press of ``lang`` writes: the nominative
spellings (``monitor.matching.scripts``) and the case forms that language gives a name of
that shape, gender-aware as in Russian (a man's Jašin declines as Jašina, Jašinovi; a
woman's Kolesnikova as Kolesnikové, Kolesnikovou, and never the reverse).

The word's shape is read from the Russian: consonant-final (Яшин), soft (Алесь),
adjectival (Навальный, Беляцкий; feminine Навальная), feminine in -ова/-ина (Колесникова),
other -а (Кара-Мурза, Мария) or indeclinable (Коваленко). Each language then has a table
of endings per shape, added to the spelled stem; where a grammar allows two endings both
are listed. Sources, per language: Polish — Nowy słownik poprawnej polszczyzny PWN
(declension of foreign surnames); Czech — Internetová jazyková příručka ÚJČ (skloňování
ruských příjmení, přechylování); Slovak — Pravidlá slovenského pravopisu; Slovene —
Slovenski pravopis 2001; Croatian — Barić et al., Hrvatska gramatika; Serbian — Pravopis
srpskoga jezika (Matica srpska); Macedonian has no cases; Lithuanian — VLKK rules for
foreign names (endings -as, -is, -us, -a); Latvian — the Latvian Language Agency's rules
(-s, -is, -a); German — Duden (genitive -s); Georgian — Hewitt, Georgian: A Structural
Reference Grammar (case suffixes); Armenian — Dum-Tragut, Armenian: Modern Eastern
Armenian (case suffixes and the article); Hebrew and Arabic attach prepositions and
conjunctions as one-letter prefixes; Belarusian and Ukrainian Cyrillic are declined by
``monitor.matching.inflect`` and Łacinka is its transliteration.
"""

from __future__ import annotations

import functools

from monitor.matching.belarusian import belarusian_spellings, ukrainian_spellings
from monitor.matching.scripts import ORTHOGRAPHIES, spell

MALE, FEMALE = "m", "f"
VOWELS = set("аеёиоуыэюяіїєў")
LANGUAGES = (
    "be",
    "uk",
    "pl",
    "cs",
    "sk",
    "sl",
    "hr",
    "sr",
    "mk",
    "lt",
    "lv",
    "de",
    "fr",
    "es",
    "it",
    "el",
    "ka",
    "hy",
    "he",
    "ar",
)

# Endings per language and shape, appended to the spelled stem. Shapes: "m" consonant-final
# man, "f" consonant-final woman, "soft" (Алесь), "adj_m", "adj_f", "ova" (Колесникова),
# "a" (Кара-Мурза, Илья, Мария), "fixed" (not declined).
ENDINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "pl": {
        "m": ("", "a", "owi", "em", "ie", "u"),
        "soft": ("ia", "iowi", "iem", "iu"),
        "adj_m": ("y", "i", "ego", "iego", "emu", "iemu", "ym", "im"),
        "adj_f": ("a", "aja", "ej", "ą"),
        "ova": ("a", "ej", "ą"),
        "a": ("a", "y", "i", "ie", "ę", "ą", "ji", "ii"),
    },
    "cs": {
        "m": ("", "a", "ovi", "em", "e", "u", "ův", "ova", "ovo", "ovu", "ových", "ovým"),
        "soft": ("", "e", "i", "em", "ovi"),
        "adj_m": ("yj", "ij", "ý", "í", "ého", "ému", "ým", "ím"),
        "adj_f": ("aja", "á", "é", "ou"),
        "ova": ("a", "ová", "ové", "ovou", "y", "e", "u", "ou"),
        "f": ("", "ová", "ové", "ovou"),
        "a": ("a", "y", "i", "ovi", "u", "ou", "e"),
    },
    "sk": {
        "m": ("", "a", "ovi", "om", "ov", "ova", "ovho", "ovej"),
        "soft": ("", "a", "ovi", "om"),
        "adj_m": ("yj", "ij", "ý", "ého", "ému", "ým", "om"),
        "adj_f": ("aja", "á", "ej", "ú"),
        "ova": ("a", "ová", "ovej", "ovú", "ovou", "y", "e", "u"),
        "f": ("", "ová", "ovej", "ovú"),
        "a": ("a", "u", "ovi", "om", "y", "i"),
    },
    "sl": {
        "m": ("", "a", "u", "om", "ov", "ova", "ovega", "ovem", "ja", "ju", "jem"),
        "soft": ("", "a", "u", "om"),
        "adj_m": ("i", "ij", "ega", "emu", "em", "im"),
        "adj_f": ("aja", "a", "e", "i", "o"),
        "ova": ("a", "e", "i", "o"),
        "a": ("a", "e", "i", "o", "u", "om"),
    },
    "hr": {
        "m": ("", "a", "u", "om", "e", "ov", "ova", "ovu", "ovog"),
        "soft": ("", "a", "u", "om"),
        "adj_m": ("i", "ij", "og", "oga", "om", "omu", "im"),
        "adj_f": ("aja", "a", "e", "oj", "u"),
        "ova": ("a", "e", "oj", "u", "om"),
        "a": ("a", "e", "i", "u", "om", "o"),
    },
    "sr": {
        "m": ("", "а", "у", "ом", "е", "ов", "ова", "овог"),
        "soft": ("", "а", "у", "ом"),
        "adj_m": ("и", "иј", "ог", "ога", "ом", "ому", "им"),
        "adj_f": ("аја", "а", "е", "ој", "у"),
        "ova": ("а", "е", "ој", "у", "ом"),
        "a": ("а", "е", "и", "у", "ом", "о"),
    },
    "lt": {
        "m": ("as", "o", "ui", "ą", "u", "e", "ai", "us", "aus", "ų", "umi", "ius", "iaus", "iui"),
        "soft": ("is", "io", "iui", "į", "iu"),
        "adj_m": ("as", "o", "ui", "ą", "u", "is", "io", "iui", "į", "iu", "ij", "ijus", "ijaus"),
        "adj_f": ("aja", "a", "os", "ai", "ą"),
        "ova": ("a", "os", "ai", "ą", "oje"),
        "a": ("a", "os", "ai", "ą", "oje", "ia", "ios", "iai", "ią"),
    },
    "lv": {
        "m": ("s", "a", "am", "u", "ā"),
        "soft": ("s", "is", "a", "am", "i"),
        "adj_m": ("ijs", "ija", "ijam", "iju", "is", "ais", "ā"),
        "adj_f": ("aja", "a", "as", "ai", "u"),
        "ova": ("a", "as", "ai", "u", "ā"),
        "a": ("a", "as", "ai", "am", "u", "ā"),
    },
    "de": {
        "m": ("", "s"),
        "soft": ("", "s"),
        "adj_m": ("i", "ij", "y", "yj", "is", "ijs", "ys"),
        "adj_f": ("aja", "ajas"),
        "ova": ("a", "as"),
        "f": ("", "s"),
        "a": ("a", "as"),
    },
    "fr": {"adj_m": ("i", "y", "ï"), "adj_f": ("aïa", "aya", "aia")},
    "es": {"adj_m": ("i", "y"), "adj_f": ("aya", "aia")},
    "it": {"adj_m": ("ij", "yj", "i", "y"), "adj_f": ("aja", "aia", "aya")},
    "el": {"adj_m": ("ι", "υ", "ιι"), "adj_f": ("αγια", "αια")},
    "mk": {"adj_m": ("и", "иј"), "adj_f": ("аја",)},
}

_FLEETING_E = {"pl", "cs", "sk"}  # the e of Lew, Paweł, Marek drops in the other cases
_BOTH_PARTS = {"pl", "cs", "sk", "sl", "hr", "sr", "lt", "lv"}  # Kary-Murzy: both halves declined
# Georgian case suffixes (nominative -ი added to consonant-final names): ergative, dative,
# genitive, instrumental, adverbial, and the postpositions written as one word.
_KA_CONSONANT = ("", "ი", "მა", "ს", "ის", "ით", "ად", "თან", "ზე", "ში", "ისთვის", "ისა")
_KA_VOWEL = ("", "მ", "ს", "თ", "დ", "სთან", "ზე", "ში", "სთვის")
# Armenian: genitive/dative -ի, definite -ը/-ն, ablative -ից, instrumental -ով; -յ- after a vowel.
_HY_CONSONANT = ("", "ի", "ին", "ը", "ն", "ից", "ով", "ում")
_HY_VOWEL = ("", "ն", "յի", "յին", "յից", "յով", "ի", "ին", "ից", "ով")
# One-letter prepositions and conjunctions written onto the next word, and their pairs.
HEBREW_PREFIXES = ("", "ו", "ב", "ל", "מ", "ה", "ש", "וב", "ול", "של")
ARABIC_PREFIXES = ("", "و", "ب", "ل", "ف", "ك", "وب", "ول")


def _soft_endings() -> None:
    for lang in ("pl", "cs", "sk", "sl", "hr", "sr", "lt", "lv"):
        table = ENDINGS[lang]
        table["soft"] = tuple(dict.fromkeys((*table["soft"], *table["m"])))


_soft_endings()


def shape(word: str, gender: str, surname: bool) -> tuple[str, str]:
    """(shape, Cyrillic stem the endings attach to) of one lower-case Cyrillic word."""
    if surname and word.endswith(("ий", "ый", "ой", "ій")) and len(word) > 3 and gender != FEMALE:
        return "adj_m", word[:-2]
    if surname and word.endswith(("кі", "гі", "хі", "ы")) and len(word) > 3 and gender != FEMALE:
        return "adj_m", word[:-1]  # Belarusian Бяляцкі, Навальны
    if surname and word.endswith(("ая", "яя")) and gender == FEMALE:
        return "adj_f", word[:-2]
    if surname and gender == FEMALE and word.endswith(("ова", "ева", "ёва", "ина", "ына", "ава", "іна")):
        return "ova", word[:-1]
    if word.endswith("я") and len(word) > 2:
        return "a", word[:-1] + ("й" if word[-2] in "ьъ" else "")  # Илья → Ильй-: Ilj-a, Ilj-i
    if word.endswith("а"):
        return "a", word[:-1]
    if word[-1] in VOWELS:
        return "fixed", word
    if word.endswith("ь"):
        return ("soft", word[:-1]) if gender != FEMALE else ("fixed", word)
    return ("m" if gender != FEMALE else "f"), word


@functools.cache
def foreign_forms(word: str, lang: str, gender: str, surname: bool = True) -> frozenset[str]:
    """Lower-case forms of one Cyrillic word in ``lang``, nominative spellings included."""
    word = word.lower()
    if lang == "be":
        return _belarusian(word, gender, surname)
    if lang == "uk":
        return _ukrainian(word, gender)
    nominative = set(spell(word, lang))
    kind, stem = shape(word, gender, surname)
    endings = ENDINGS.get(lang, {}).get(kind)
    forms = set(nominative)
    if endings and "-" in word and kind == "a" and lang in _BOTH_PARTS:
        head, _, tail = stem.rpartition("-")
        forms |= {
            f"{h}-{s}{e}"
            for h in spell(head, lang, ending=False)
            for s in spell(tail, lang, ending=False)
            for e in endings
        }
        forms |= {
            f"{h}{e}-{s}{e}"
            for h in spell(head[:-1], lang, ending=False)  # Kary-Murzy
            for s in spell(tail, lang, ending=False)
            for e in endings
            if head.endswith("а")
        }
    elif endings:
        stems = set(spell(stem, lang, ending=False))
        if not surname and kind in ("m", "soft") and lang in _FLEETING_E:
            stems |= {s[:-2] + s[-1] for s in stems if len(s) >= 3 and s[-2] == "e"}  # Lew → Lwa, Lwu
        forms |= {s + e for s in stems for e in endings}
    if lang == "ka":
        forms = {f for n in forms for f in _georgian(n)}
    elif lang == "hy":
        forms = {f for n in forms for f in _armenian(n)}
    return frozenset(forms)


def _georgian(nominative: str) -> set[str]:
    if nominative[-1:] in "აეოუ" or nominative.endswith("ი") and len(nominative) > 4:
        forms = {nominative + s for s in _KA_VOWEL}
        if nominative.endswith("ა"):
            forms |= {nominative[:-1] + s for s in ("ის", "ით", "ისთვის")}
        return forms
    return {nominative + s for s in _KA_CONSONANT}


def _armenian(nominative: str) -> set[str]:
    suffixes = _HY_VOWEL if nominative[-1:] in "աեէըիոօ" else _HY_CONSONANT
    return {nominative + s for s in suffixes}


_UKRAINIAN_ONLY = ("ові", "ої", "ій", "ою", "ії", "єві", "ію")  # endings the shared rules give Ukrainian alone


def _belarusian(word: str, gender: str, surname: bool) -> frozenset[str]:
    """Belarusian Cyrillic spellings declined (by ``inflect``'s ending rules), and their Łacinka."""
    from monitor.matching.inflect import rule_forms

    forms: set[str] = set()
    for spelling in belarusian_spellings(word, surname=surname):
        for case_forms in rule_forms(spelling, gender or MALE).values():
            forms |= {f for f in case_forms if not f.endswith(_UKRAINIAN_ONLY)}
        forms.add(spelling)
    forms |= {latin for form in list(forms) for latin in spell(form, "be-latn", ending=False)}
    return frozenset(forms)


def _ukrainian(word: str, gender: str) -> frozenset[str]:
    """Ukrainian spellings declined by ``inflect``'s ending rules (Навальний → Навального)."""
    from monitor.matching.inflect import rule_forms

    forms: set[str] = set()
    for spelling in ukrainian_spellings(word):
        for case_forms in rule_forms(spelling, gender or MALE).values():
            forms |= case_forms
    return frozenset(forms)


def with_prefixes(form: str, lang: str) -> set[str]:
    """Hebrew and Arabic forms with the one-letter words written onto them; others as they are."""
    prefixes = HEBREW_PREFIXES if lang == "he" else ARABIC_PREFIXES if lang == "ar" else ("",)
    return {p + form for p in prefixes}


assert set(LANGUAGES) - {"be", "uk"} <= set(ORTHOGRAPHIES)
