"""Names as the world's press writes them (issue 22): Belarusian spellings, other languages'
transliterations and case endings, other scripts, namesakes, multilingual exclusions, and
the ``languages`` key."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core.config_file import ConfigError, parse_watchlist
from monitor.core.storage import matcher_cache
from monitor.matching import Matcher, PersonNames
from monitor.matching.belarusian import belarusian_spellings, ukrainian_spellings
from monitor.matching.declension import LANGUAGES, foreign_forms
from monitor.matching.fold import fold
from monitor.matching.namesakes import is_given_name, skeleton
from monitor.matching.scripts import MAX_VARIANTS, ORTHOGRAPHIES, spell

NAVALNY = PersonNames("Alexei Navalny", ("Алексей Навальный", "Навальный"))
YASHIN = PersonNames("Ilya Yashin", ("Илья Яшин", "Яшин"), ("Лев Яшин",))
GORINOV = PersonNames("Alexei Gorinov", ("Алексей Горинов",))  # no bare surname: it never counts alone
KOLESNIKOVA = PersonNames("Maria Kolesnikova", ("Мария Колесникова", "Колесникова"), gender="f")
KARA_MURZA = PersonNames("Vladimir Kara-Murza", ("Владимир Кара-Мурза", "Кара-Мурза"))
PEOPLE = [NAVALNY, YASHIN, GORINOV, KOLESNIKOVA, KARA_MURZA]


def found(text, people=PEOPLE):
    return [(m.person, text[m.start : m.end]) for m in Matcher(people).find(text)]


def test_belarusian_spellings_follow_akanye_yakanye_and_short_u():
    assert "гарынаў" in belarusian_spellings("горинов")
    assert "аляксей" in belarusian_spellings("алексей", surname=False)
    assert "уладзімір" in belarusian_spellings("владимир", surname=False)
    assert belarusian_spellings("навальный") == ("навальны",)
    assert "пятроў" in belarusian_spellings("петров")


def test_ukrainian_spellings_use_i_y_and_the_soft_sign_of_adjectival_surnames():
    assert ukrainian_spellings("навальный") == ("навальний",)
    assert ukrainian_spellings("беляцкий") == ("беляцький",)
    assert ukrainian_spellings("горинов") == ("горінов",)
    assert ukrainian_spellings("яшин") == ("яшин",)


@pytest.mark.parametrize(
    "text, fired",
    [
        ("Аляксей Гарынаў атрымаў сем гадоў", ("Alexei Gorinov", "Аляксей Гарынаў")),
        ("Суд над Олексієм Горіновим", ("Alexei Gorinov", "Олексієм Горіновим")),
        ("Пахаванне Навальнага сабрала людзей", ("Alexei Navalny", "Навальнага")),
        ("Alaksiej Harynaŭ atrymaŭ termin", ("Alexei Gorinov", "Alaksiej Harynaŭ")),
        ("Prawnik Aleksieja Nawalnego złożył skargę", ("Alexei Navalny", "Aleksieja Nawalnego")),
        ("Żona Kary-Murzy opowiedziała", ("Vladimir Kara-Murza", "Kary-Murzy")),
        ("Jašinovi hrozilo deset let", ("Ilya Yashin", "Jašinovi")),
        ("S Kolesnikovovou se nesměli setkat", ("Maria Kolesnikova", "Kolesnikovovou")),
        ("Udovica Navaljnog govorila je", ("Alexei Navalny", "Navaljnog")),
        ("Navalno laidotuvėse", ("Alexei Navalny", "Navalno")),
        ("Jašinam liegtas tikšanās", ("Ilya Yashin", "Jašinam")),
        ("Nawalnys Witwe sprach", ("Alexei Navalny", "Nawalnys")),
        ("L'avocat d'Iachine a fait appel", ("Ilya Yashin", "Iachine")),
        ("Подршка Колесниковој стиже", ("Maria Kolesnikova", "Колесниковој")),
        ("Η κηδεία του Ναβάλνι", ("Alexei Navalny", "Ναβάλνι")),
        ("იაშინმა განაცხადა", ("Ilya Yashin", "იაშინმა")),
        ("Նավալնիի հուղարկավորությանը", ("Alexei Navalny", "Նավալնիի")),
        ("ליאשין נאסר לקבל ביקורים", ("Ilya Yashin", "ליאשין")),
        ("شارك الآلاف في جنازة نافالني", ("Alexei Navalny", "نافالني")),
    ],
)
def test_other_languages_spellings_and_case_endings_are_found(text, fired):
    assert found(text) == [fired]


def test_a_mans_surname_never_takes_the_feminine_endings_of_another_language_nor_the_reverse():
    assert found("Julija Navalná vystoupila") == []
    assert found("Julia Nawalna przemawiała") == []
    assert found("Igor Kolesnikov promluvil") == []
    assert found("Kolesnikovová promluvila") == [("Maria Kolesnikova", "Kolesnikovová")]


def test_a_full_names_surname_in_another_language_needs_the_persons_given_name_before_it():
    assert found("Alexej Gorinov dostal sedm let") == [("Alexei Gorinov", "Alexej Gorinov")]
    assert found("Aleksieja Gorinowa skazano") == [("Alexei Gorinov", "Aleksieja Gorinowa")]
    assert found("Gorinova odsúdili na sedem rokov") == []


@pytest.mark.parametrize(
    "text",
    [
        "Oleg Navalny, his brother, also served time.",
        "Oleg Navalnyj, bratr politika, žije v exilu.",
        "Olega Nawalnego skazano wcześniej.",
        "Ο Όλεγκ Ναβάλνι επίσης φυλακίστηκε.",
        "ოლეგ ნავალნი ასევე გაასამართლეს.",
        "אולג נבלני ישב גם הוא בכלא.",
        "أوليغ نافالني سُجن أيضًا.",
        "Олег Навальный отсидел три с половиной года.",
        "Олег Анатольевич Навальный отсидел срок.",
        "Анна Яшина выиграла турнир.",
    ],
)
def test_a_surname_after_a_different_given_name_is_a_namesake_in_any_script(text):
    assert found(text) == []


def test_initials_patronymics_diminutives_and_own_foreign_forms_do_not_make_a_name_different():
    assert [p for p, _ in found("А. Навальный и A. Navalny")] == ["Alexei Navalny", "Alexei Navalny"]
    assert found("Алексей Анатольевич Навальный") == [("Alexei Navalny", "Алексей Анатольевич Навальный")]
    assert found("Лёша Навальный смеялся") == [("Alexei Navalny", "Лёша Навальный")]
    assert found("Олексій Навальний помер") != []  # the Ukrainian given name, never generated, is his
    assert found("Іллю Яшина звільнили") == [("Ilya Yashin", "Іллю Яшина")]


def test_an_exclusion_written_once_applies_in_every_language_it_inflects_into():
    street = PersonNames("Ilya Yashin", ("Илья Яшин", "Яшин"), ("Улица Яшина",))
    assert found("Mieszkam przy ulicy Jaszyna od lat", [street]) == []
    assert found("Jaszyna zwolniono z więzienia", [street]) == [("Ilya Yashin", "Jaszyna")]
    assert found("Ο τερματοφύλακας Λεβ Γιασίν") == []


def test_a_persons_languages_limit_the_spellings_generated():
    polish_only = PersonNames("Ilya Yashin", ("Илья Яшин", "Яшин"), languages=("pl",))
    assert found("Jaszynowi odmówiono", [polish_only]) == [("Ilya Yashin", "Jaszynowi")]
    assert found("Jašinovi hrozilo", [polish_only]) == []
    assert found("Ο Γιασίν δήλωσε", [polish_only]) == []
    assert found("Jašinovi hrozilo", [YASHIN]) != []  # the default is every language


def test_the_config_takes_a_typed_languages_list_and_names_a_bad_one():
    entry = {"name": "Ilya Yashin", "aliases": ["Илья Яшин"], "languages": ["PL", "el"]}
    watchlist = parse_watchlist({"person": [entry]}, "monitor.toml")
    assert watchlist.people[0].languages == ["pl", "el"]
    assert Matcher.from_watchlist(watchlist).people_in("Ο Ίλια Γιασίν") == ["Ilya Yashin"]
    with pytest.raises(ConfigError) as error:
        parse_watchlist({"person": [{**entry, "languages": ["pl", "xx"]}]}, "monitor.toml")
    message = str(error.value)
    assert "\n" not in message and "monitor.toml" in message and "languages" in message and "'xx'" in message


def test_from_db_carries_languages(settings):
    from monitor.core import db
    from monitor.core import storage as store

    watchlist = parse_watchlist(
        {"person": [{"name": "Ilya Yashin", "aliases": ["Илья Яшин", "Яшин"], "languages": ["pl"]}]}, "test.toml"
    )
    db.upgrade()
    with db.session_scope() as session:
        store.sync_watchlist(session, watchlist=watchlist)
    with db.session_scope() as session:
        matcher = matcher_cache.matcher_for(session)
    assert matcher.people_in("Jaszynowi odmówiono") == ["Ilya Yashin"]
    assert matcher.people_in("Jašinovi hrozilo") == []


def test_given_names_are_known_in_every_script_but_common_words_are_not():
    for word in ("Oleg", "Олег", "Όλεγκ", "ოლეგ", "Օլեգ", "אולג", "أوليغ", "Lwu", "Piotra"):
        assert is_given_name(word), word
    for word in ("Smrť", "court", "Суд", "роман"):
        assert not is_given_name(word), word
    assert skeleton("Алексей") == skeleton("Олексій") == skeleton("Alexej") == "lks"
    assert skeleton("Ilja") == skeleton("Іллю") != skeleton("Leo")


def test_a_hostile_post_of_many_surnames_and_names_stays_linear():
    text = " ".join(["Олег Навальный", "Ναβάλνι", "נבלני", "Jašinovi"] * 2500)
    started = time.perf_counter()
    matches = Matcher(PEOPLE).find(text)
    assert time.perf_counter() - started < 20
    assert len(matches) == 2500 * 3  # every "Олег Навальный" is a namesake; the others stand


cyrillic_words = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўї", min_size=1, max_size=14)


@hsettings(max_examples=150, deadline=None)
@given(word=cyrillic_words, lang=st.sampled_from(sorted(ORTHOGRAPHIES)))
def test_every_cyrillic_word_has_a_bounded_set_of_spellings_in_each_orthography(word, lang):
    spellings = spell(word, lang)
    assert 1 <= len(spellings) <= MAX_VARIANTS
    if lang not in ("sr", "mk"):
        assert not any("\u0430" <= ch <= "\u044f" for s in spellings for ch in s)


@hsettings(max_examples=150, deadline=None)
@given(
    word=cyrillic_words, lang=st.sampled_from(LANGUAGES), gender=st.sampled_from(["m", "f", ""]), surname=st.booleans()
)
def test_foreign_forms_always_include_a_nominative_and_fold_to_keys(word, lang, gender, surname):
    forms = foreign_forms(word, lang, gender, surname)
    assert forms
    for form in forms:
        folded, offsets = fold(form)
        assert offsets is None or len(offsets) == len(folded) + 1


@hsettings(max_examples=150, deadline=None)
@given(word=st.text(alphabet="бвгджзклмнпрстфхцчшаеиоуыэюя", min_size=2, max_size=12))
def test_a_belarusian_spelling_keeps_at_most_one_o_the_stressed_one(word):
    for spelling in belarusian_spellings(word, surname=False):
        assert spelling.count("о") <= 1


scripts_text = st.text(alphabet="Ναβάλνι ნავალნი Նավալնի נבלני نافالني Jašinovi Олег.,-'", max_size=200)


@hsettings(max_examples=150, deadline=None)
@given(text=scripts_text)
def test_spans_in_mixed_script_posts_point_at_whole_words_of_the_post(text):
    for match in Matcher(PEOPLE).find(text):
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end].strip() == text[match.start : match.end]


@hsettings(max_examples=200, deadline=None)
@given(text=st.text(max_size=120))
def test_folding_any_text_keeps_one_offset_per_folded_letter_and_folds_like_its_letters(text):
    folded, offsets = fold(text)
    if offsets is None:
        assert len(folded) == len(text)
    else:
        assert len(offsets) == len(folded) + 1 and offsets == sorted(offsets)
    other = [ch for ch in text if ch.isalpha() and ch not in folded and fold(ch)[0] not in ("", " ")]
    assert all(fold(ch)[0] in folded for ch in other)


def test_other_scripts_fold_to_distinct_letters_not_one_placeholder():
    pairs = [
        ("Ναβάλνι", "Γιασίν"),
        ("ნავალნი", "იაშინი"),
        ("Նավալնի", "Յաշին"),
        ("נבלני", "יאשין"),
        ("نافالني", "ياشين"),
    ]
    for navalny, yashin in pairs:
        assert fold(navalny)[0].isascii() and fold(navalny)[0] != fold(yashin)[0]
    assert fold("ნავალნი")[0] == fold("Նավալնի")[0] == "navalni"  # one name in two scripts may fold alike


def test_the_bundled_given_names_list_parses_into_every_section():
    from monitor.matching.namesakes import _sections, diminutives

    sections = _sections()
    assert {"cyrillic", "latin", "serbian", "greek", "georgian", "armenian", "hebrew", "arabic"} <= set(sections)
    assert all(line.strip() and not line.startswith("#") for lines in sections.values() for line in lines)
    assert "лёша" in diminutives()["алексей"]


names_text = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўїє-' АБВЯ abcxyzΑβγ", min_size=1, max_size=16)


@hsettings(max_examples=100, deadline=None)
@given(alias=names_text, exclude=names_text, text=st.text(max_size=60), gender=st.sampled_from(["", "m", "f"]))
def test_any_alias_and_exclusion_build_a_matcher_that_finds_the_alias_spans_in_the_post(alias, exclude, text, gender):
    matcher = Matcher([PersonNames("Someone", (alias, f"{alias} {alias}"), (exclude,), gender=gender)])
    post = f"{text} {alias}"
    for match in matcher.find(post):
        assert 0 <= match.start < match.end <= len(post)
