"""Grammatical forms of Russian, Ukrainian and Belarusian names, gender-aware.

``phrase_forms(alias, gender)`` returns every case form of a (multi-word) alias, words
inflected in agreement (each word put in the same case). Words pymorphy3 knows as a
first name, surname or patronymic, and lowercase common words, are inflected from its
dictionaries (Russian, Ukrainian); capitalised words it does not know are declined by
ending rules below (and, for Russian, by pytrovich), which also cover Belarusian, for
which there is no dictionary. A male alias never yields the feminine surname forms
(Яшин → Яшина, Яшину, Яшиным, Яшине, but not Яшиной), nor the reverse.
"""

from __future__ import annotations

import functools
import itertools

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "voct")
MALE, FEMALE = "m", "f"
_NAME_TAGS = ("Name", "Surn", "Patr")


def _oblique(ending: str) -> str:
    """Belarusian ў is в before a vowel: Гарынаў → Гарынава."""
    return ending[:-1] + "в" if ending.endswith("ў") else ending


# Ending rules: (ending, gender, {case: suffixes replacing the ending}). First hit wins.
_RULES: list[tuple[str, str, dict[str, tuple[str, ...]]]] = [
    # Russian / Ukrainian / Belarusian adjectival surnames
    ("ский", MALE, {"gent": ("ского",), "datv": ("скому",), "accs": ("ского",), "ablt": ("ским",), "loct": ("ском",)}),
    ("цкий", MALE, {"gent": ("цкого",), "datv": ("цкому",), "accs": ("цкого",), "ablt": ("цким",), "loct": ("цком",)}),
    (
        "ський",
        MALE,
        {
            "gent": ("ського",),
            "datv": ("ському",),
            "accs": ("ського",),
            "ablt": ("ським",),
            "loct": ("ському", "ськім"),
        },
    ),
    (
        "цький",
        MALE,
        {
            "gent": ("цького",),
            "datv": ("цькому",),
            "accs": ("цького",),
            "ablt": ("цьким",),
            "loct": ("цькому", "цькім"),
        },
    ),
    ("скі", MALE, {"gent": ("скага",), "datv": ("скаму",), "accs": ("скага",), "ablt": ("скім",), "loct": ("скім",)}),
    ("цкі", MALE, {"gent": ("цкага",), "datv": ("цкаму",), "accs": ("цкага",), "ablt": ("цкім",), "loct": ("цкім",)}),
    (
        "ая",
        FEMALE,
        {"gent": ("ой", "ай"), "datv": ("ой", "ай"), "accs": ("ую",), "ablt": ("ой", "ою", "ай"), "loct": ("ой", "ай")},
    ),
    ("ька", FEMALE, {"gent": ("ької",), "datv": ("ькій",), "accs": ("ьку",), "ablt": ("ькою",), "loct": ("ькій",)}),
    ("ый", MALE, {"gent": ("ого",), "datv": ("ому",), "accs": ("ого",), "ablt": ("ым",), "loct": ("ом",)}),
    ("ой", MALE, {"gent": ("ого",), "datv": ("ому",), "accs": ("ого",), "ablt": ("ым",), "loct": ("ом",)}),
    (
        "ы",
        MALE,
        {"gent": ("ага",), "datv": ("аму",), "accs": ("ага",), "ablt": ("ым",), "loct": ("ым",)},
    ),  # be: Навальны
    (
        "ий",
        MALE,
        {
            "gent": ("ого", "ия", "ія"),
            "datv": ("ому", "ию", "ію"),
            "accs": ("ого", "ия"),
            "ablt": ("им", "ием", "ієм"),
            "loct": ("ом", "ии", "ії"),
        },
    ),
    (
        "ій",
        MALE,
        {
            "gent": ("ія", "ього"),
            "datv": ("ію", "ієві", "ьому"),
            "accs": ("ія",),
            "ablt": ("ієм", "ім"),
            "loct": ("ієві", "ії"),
            "voct": ("ію",),
        },
    ),
    # possessive surnames: -ов/-ев/-ин/-ын (ru, uk, be)
    *[
        (
            end,
            MALE,
            {
                "gent": (_oblique(end) + "а",),
                "datv": (_oblique(end) + "у", _oblique(end) + "ові"),
                "accs": (_oblique(end) + "а",),
                "ablt": (_oblique(end) + "ым", _oblique(end) + "им"),
                "loct": (_oblique(end) + "е", _oblique(end) + "і", _oblique(end) + "ові"),
                "voct": (_oblique(end) + "е",),
            },
        )
        for end in ("ов", "ев", "ёв", "ин", "ын", "оў", "еў", "аў", "ін", "ын")
    ],
    *[
        (
            end + "а",
            FEMALE,
            {
                "gent": (end + "ой", end + "ої", end + "ай"),
                "datv": (end + "ой", end + "ій", end + "ай"),
                "accs": (end + "у",),
                "ablt": (end + "ой", end + "ою", end + "ай"),
                "loct": (end + "ой", end + "ій", end + "ай"),
            },
        )
        for end in ("ов", "ев", "ёв", "ин", "ын", "ін", "ав")
    ],
    # nouns in -а/-я (Кара-Мурза, Лукашэнка, Илья, Анна): both genders
    (
        "я",
        "",
        {
            "gent": ("и", "і"),
            "datv": ("е", "і"),
            "accs": ("ю",),
            "ablt": ("ей", "ёй", "ею", "ем"),
            "loct": ("е", "і"),
            "voct": ("е", "ю"),
        },
    ),
    (
        "а",
        "",
        {
            "gent": ("ы", "и", "і"),
            "datv": ("е", "і", "у"),
            "accs": ("у",),
            "ablt": ("ой", "ою", "ом", "ам", "ей"),
            "loct": ("е", "і", "у"),
            "voct": ("о",),
        },
    ),
    (
        "ко",
        MALE,
        {
            "gent": ("ка",),
            "datv": ("ку", "кові"),
            "accs": ("ка",),
            "ablt": ("ком",),
            "loct": ("кові", "ку"),
            "voct": ("ку",),
        },
    ),
    (
        "ь",
        MALE,
        {"gent": ("я",), "datv": ("ю", "еві"), "accs": ("я",), "ablt": ("ем",), "loct": ("е", "і"), "voct": ("ю",)},
    ),
    (
        "й",
        MALE,
        {
            "gent": ("я",),
            "datv": ("ю", "єві"),
            "accs": ("я",),
            "ablt": ("ем", "єм"),
            "loct": ("е", "ї"),
            "voct": ("ю",),
        },
    ),
]
_HUSHING = set("жшчщц")
_VOWELS = set("аеёиоуыэюяіїєў")


def rule_forms(word: str, gender: str) -> dict[str, set[str]]:
    """Case → forms of one word by the ending rules alone (Belarusian, unknown names);
    hyphenated words decline their last part."""
    if "-" in word:
        head, _, tail = word.rpartition("-")
        if not tail:
            return {"nomn": {word.lower()}}
        return {case: {f"{head.lower()}-{f}" for f in forms} for case, forms in rule_forms(tail, gender).items()}
    low = word.lower()
    forms = {case: {low} for case in ("nomn",)}
    for ending, rule_gender, table in _RULES:
        if low.endswith(ending) and rule_gender in ("", gender):
            stem = low[: -len(ending)]
            for case, suffixes in table.items():
                forms.setdefault(case, set()).update(stem + s for s in suffixes)
            return forms
    if gender == MALE and low[-1] not in _VOWELS and low[-1].isalpha():
        instr = "ем" if low[-1] in _HUSHING else "ом"
        table = {
            "gent": ("а",),
            "datv": ("у", "ові"),
            "accs": ("а",),
            "ablt": (instr,),
            "loct": ("е", "і", "ові"),
            "voct": ("е",),
        }
        for case, suffixes in table.items():
            forms.setdefault(case, set()).update(low + s for s in suffixes)
    return forms  # feminine consonant-final and vowel-final surnames do not decline


def language(word: str) -> str:
    """'be', 'uk' or 'ru' by the letters a word uses."""
    low = word.lower()
    if "ў" in low or ("і" in low and ("ы" in low or "э" in low)):
        return "be"
    if any(ch in low for ch in "іїєґ"):
        return "uk"
    return "ru"


@functools.cache
def _analyzer(lang: str):
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


@functools.cache
def _petrovich():
    from pytrovich.maker import PetrovichDeclinationMaker

    return PetrovichDeclinationMaker()


def _gender_ok(tag, gender: str) -> bool:
    return not gender or (gender == MALE and "masc" in tag) or (gender == FEMALE and "femn" in tag)


def _dictionary_parse(word: str, gender: str, lang: str):
    """The pymorphy3 parse to inflect from, or None when the word should go by the rules."""
    morph = _analyzer("uk" if lang == "uk" else "ru")
    parses = [p for p in morph.parse(word) if "nomn" in p.tag and p.is_known]
    named = [p for p in parses if any(t in p.tag for t in _NAME_TAGS) and _gender_ok(p.tag, gender)]
    if word[:1].isupper():
        return named[0] if named else None
    common = [p for p in parses if p.tag.POS in ("NOUN", "ADJF") and "plur" not in p.tag]
    return common[0] if common else None


def _dictionary_forms(parse) -> dict[str, set[str]]:
    forms: dict[str, set[str]] = {}
    for case in CASES:
        inflected = parse.inflect({"sing", case})
        if inflected is not None:
            forms.setdefault(case, set()).add(inflected.word)
    return forms


def _petrovich_forms(word: str, gender: str, parse) -> dict[str, set[str]]:
    from pytrovich.enums import Case, Gender, NamePart

    part = NamePart.LASTNAME
    if parse is not None and "Name" in parse.tag:
        part = NamePart.FIRSTNAME
    elif parse is not None and "Patr" in parse.tag:
        part = NamePart.MIDDLENAME
    sex = Gender.FEMALE if gender == FEMALE else Gender.MALE
    names = {
        Case.GENITIVE: "gent",
        Case.DATIVE: "datv",
        Case.ACCUSATIVE: "accs",
        Case.INSTRUMENTAL: "ablt",
        Case.PREPOSITIONAL: "loct",
    }
    return {case: {_petrovich().make(part, sex, c, word).lower()} for c, case in names.items()}


@functools.cache
def word_forms(word: str, gender: str) -> dict[str, frozenset[str]]:
    """Case → lower-case forms of one Cyrillic word (hyphenated parts declined together)."""
    if "-" in word:
        # Кара-Мурза → Кара-Мурзы (first part fixed, the usual) and Кары-Мурзы (both declined)
        parts = [word_forms(part, gender) for part in word.split("-")]
        options = [
            [p.get(case, p["nomn"]) | p["nomn"] for p in parts[:-1]] + [parts[-1].get(case, parts[-1]["nomn"])]
            for case in CASES
        ]
        return {
            case: frozenset("-".join(combo) for combo in itertools.product(*opts)) for case, opts in zip(CASES, options)
        }
    lang = language(word)
    parse = _dictionary_parse(word, gender, lang) if lang != "be" else None
    forms = _dictionary_forms(parse) if parse is not None else {}
    if parse is not None and gender == MALE and word[-1:].lower() not in _VOWELS and word[-1:].isalpha():
        forms.setdefault("datv", set()).add(word.lower() + "ові")  # Ukrainian dative: Тарасові
    if parse is None and word[:1].isupper():
        _merge(forms, rule_forms(word, gender or MALE))
        if lang == "ru":
            _merge(forms, _petrovich_forms(word, gender, parse))
    elif lang != "ru":
        _merge(forms, rule_forms(word, gender or MALE))
    forms.setdefault("nomn", set()).add(word.lower())
    return {case: frozenset(v) for case, v in forms.items()}


def _merge(into: dict[str, set[str]], more: dict[str, set[str]]) -> None:
    for case, values in more.items():
        into.setdefault(case, set()).update(values)


def phrase_forms(phrase: str, gender: str = "") -> set[str]:
    """Every case form of ``phrase``, words inflected in agreement; lower case."""
    words = phrase.split()
    tables = [word_forms(w, gender) if _is_cyrillic(w) else None for w in words]
    result: set[str] = set()
    for case in CASES:
        options = [t.get(case, t["nomn"]) if t else (w.lower(),) for w, t in zip(words, tables)]
        result.update(" ".join(combo) for combo in itertools.product(*options))
    return result


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def guess_gender(words: list[str]) -> str:
    """'m' or 'f' from a first name pymorphy3 knows, else from the surname's ending."""
    for word in words:
        if not _is_cyrillic(word) or not word[:1].isupper():
            continue
        for p in _analyzer("uk" if language(word) == "uk" else "ru").parse(word):
            if "Name" in p.tag and "nomn" in p.tag and p.score >= 0.3:
                return FEMALE if "femn" in p.tag else MALE
    for word in words:
        low = word.lower()
        if _is_cyrillic(word) and low.endswith(("ова", "ева", "ёва", "ина", "ына", "ская", "цкая", "ська", "цька")):
            return FEMALE
    return MALE


def feminine_surname(word: str) -> str | None:
    """The feminine nominative of a male surname (Яшин → яшина), when it has one."""
    low = word.lower()
    for male, female in (
        ("ский", "ская"),
        ("цкий", "цкая"),
        ("ський", "ська"),
        ("скі", "ская"),
        ("ов", "ова"),
        ("ев", "ева"),
        ("ёв", "ёва"),
        ("ин", "ина"),
        ("ын", "ына"),
        ("ій", "а"),
        ("ой", "ая"),
    ):
        if low.endswith(male):
            return low[: -len(male)] + female
    return None
