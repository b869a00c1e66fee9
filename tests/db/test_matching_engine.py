"""The matching engine, behaviour by behaviour: inflection, gender, scripts, text forms,
hashtags and handles, namesakes, context terms, spans, and building once."""

from __future__ import annotations

import json

import pytest

from monitor.core.storage import matcher_cache
from monitor.matching import Matcher, PersonNames, match_lines
from monitor.matching.fold import fold
from monitor.matching.inflect import phrase_forms

YASHIN = PersonNames(
    "Ilya Yashin", ("Илья Яшин", "Яшин"), ("Лев Яшин",), hashtags=("#FreeYashin",), handles=("@IlyaYashin",)
)
KARA_MURZA = PersonNames("Vladimir Kara-Murza", ("Владимир Кара-Мурза", "Кара-Мурза"))
KOLESNIKOVA = PersonNames("Maria Kolesnikova", ("Мария Колесникова", "Колесникова"), gender="f")
PETROV = PersonNames("Ivan Petrov", ("Иван Петров", "Петров"), context=("полиц", "police"))
OMBUDSMAN = PersonNames("Police ombudsman", ("Полицейский омбудсмен",))


def spans(people, text):
    return [(m.person, text[m.start : m.end]) for m in Matcher(people).find(text)]


@pytest.mark.parametrize(
    "text, fired",
    [
        ("Свободу Илье Яшину!", "Илье Яшину"),
        ("Адвокат Ильи Яшина подал жалобу", "Ильи Яшина"),
        ("встреча с Ильёй Яшиным", "Ильёй Яшиным"),
        ("письмо о Яшине", "Яшине"),
    ],
)
def test_it_finds_every_case_of_a_russian_name(text, fired):
    assert spans([YASHIN], text) == [("Ilya Yashin", fired)]


def test_multi_word_aliases_are_inflected_in_agreement():
    assert "полицейского омбудсмена" in phrase_forms("Полицейский омбудсмен", "m")
    assert spans([OMBUDSMAN], "жалоба Полицейскому омбудсмену") == [("Police ombudsman", "Полицейскому омбудсмену")]


def test_a_hyphenated_surname_declines_its_last_part():
    assert spans([KARA_MURZA], "жена Кара-Мурзы и Владимиром Кара-Мурзой") == [
        ("Vladimir Kara-Murza", "Кара-Мурзы"),
        ("Vladimir Kara-Murza", "Владимиром Кара-Мурзой"),
    ]


def test_a_mans_surname_does_not_match_the_feminine_one():
    assert spans([YASHIN], "выставка Яшиной") == []
    assert spans([YASHIN], "Анна Яшина открыла выставку") == []
    assert spans([YASHIN], "адвокат Яшина заявил") == [("Ilya Yashin", "Яшина")]


def test_a_womans_surname_does_not_match_the_masculine_one():
    assert spans([KOLESNIKOVA], "нападающий Колесников забил") == []
    assert spans([KOLESNIKOVA], "встреча с Колесниковой") == [("Maria Kolesnikova", "Колесниковой")]


def test_ukrainian_and_belarusian_forms_are_generated():
    kovalenko = PersonNames("Taras Kovalenko", ("Тарас Коваленко",))
    bialiatski = PersonNames("Ales Bialiatski", ("Алесь Бяляцкі",))
    assert spans([kovalenko], "Тарасові Коваленку загрожує") == [("Taras Kovalenko", "Тарасові Коваленку")]
    assert spans([bialiatski], "Жонка Алеся Бяляцкага") == [("Ales Bialiatski", "Алеся Бяляцкага")]


@pytest.mark.parametrize(
    "text", ["Yashin spoke", "Ilja Jaschin sprach", "Ilja Jaszyn powiedział", "Jaszynowi odmówiono", "Jašin"]
)
def test_cyrillic_aliases_match_latin_spellings_of_several_schemes(text):
    assert [p for p, _ in spans([YASHIN], text)] == ["Ilya Yashin"]


def test_adjectival_surnames_match_every_popular_ending():
    navalny = PersonNames("Alexei Navalny", ("Навальный",))
    for spelling in ("Navalny", "Navalnyy", "Navalniy", "Navalnyi", "Nawalny", "Nawalnym"):
        assert spans([navalny], f"{spelling} said") == [("Alexei Navalny", spelling)], spelling


def test_latin_aliases_match_their_cyrillic_forms():
    vorontsov = PersonNames("Vladimir Vorontsov", ("Vorontsov",))
    assert spans([vorontsov], "дело Воронцова передано в суд") == [("Vladimir Vorontsov", "Воронцова")]


def test_look_alike_latin_letters_inside_cyrillic_words_are_folded():
    assert spans([KARA_MURZA], "Kapa-Мурза написал") == [("Vladimir Kara-Murza", "Kapa-Мурза")]
    assert spans([YASHIN], "ЯШИН и яшин и Яшин") == [
        ("Ilya Yashin", "ЯШИН"),
        ("Ilya Yashin", "яшин"),
        ("Ilya Yashin", "Яшин"),
    ]


def test_word_boundaries_hold_in_both_scripts():
    assert spans([YASHIN], "Яшинский район и Yashinsky и Яшинов") == []
    assert spans([YASHIN], "Yashin's lawyer") == [("Ilya Yashin", "Yashin")]


def test_hashtags_are_split_at_camel_case_and_looked_inside():
    assert spans([YASHIN], "акция #СвободуЯшину") == [("Ilya Yashin", "Яшину")]
    assert spans([YASHIN], "#freeyashin") == [("Ilya Yashin", "#freeyashin")]
    assert spans([KARA_MURZA], "#FreeKaraMurza now") == [("Vladimir Kara-Murza", "KaraMurza")]
    assert spans([YASHIN], "#yashinsky #ЯшинскийРайон") == []


def test_configured_handles_match_verbatim():
    assert spans([YASHIN], "видео от @IlyaYashin") == [("Ilya Yashin", "@IlyaYashin")]


def test_an_exclude_phrase_cancels_its_inflected_forms_too():
    assert spans([YASHIN], "Памятник Льву Яшину и Lev Yashin's gloves") == []
    assert spans([YASHIN], "Лев Яшин играл в футбол, а Илья Яшин — политик") == [("Ilya Yashin", "Илья Яшин")]


def test_a_surname_alone_needs_a_context_term_when_the_person_has_some():
    assert spans([PETROV], "Петров выиграл турнир") == []
    assert spans([PETROV], "сотрудник полиции Петров уволился") == [("Ivan Petrov", "Петров")]
    assert spans([PETROV], "Иван Петров выиграл турнир") == [("Ivan Petrov", "Иван Петров")]


def test_spans_point_into_the_original_text_even_when_folding_drops_characters():
    text = "Ударе\u0301ние: Илья Яшин\u0301 пишет"
    folded, offsets = fold(text)
    assert offsets is not None and len(folded) < len(text)
    [match] = Matcher([YASHIN]).find(text)
    assert (match.start, text[match.start : match.end]) == (text.index("Илья"), "Илья Яшин")


def test_every_match_reports_the_configured_alias_and_the_form_that_fired():
    [match] = Matcher([YASHIN]).find("Свободу Илье Яшину!")
    assert (match.alias, match.form, match.start, match.end) == ("Илья Яшин", "илье яшину", 8, 18)


def test_the_automaton_is_built_once_per_set_of_people():
    first, second = Matcher([YASHIN, PETROV]), Matcher([YASHIN, PETROV])
    assert first._engine is second._engine
    assert Matcher([YASHIN])._engine is not first._engine


def test_a_matcher_without_people_finds_nobody():
    assert Matcher([]).find("Яшин #Яшин") == []


def test_unusable_aliases_are_skipped_by_the_matcher():
    assert Matcher([PersonNames("Ilya Yashin", ("", "Я", "Яшин"))]).find("Я и Яшин") == [
        Matcher([PersonNames("Ilya Yashin", ("Яшин",))]).find("Я и Яшин")[0]
    ]


def test_match_lines_keeps_the_json_contract_for_string_ids_and_hits():
    lines = [json.dumps({"id": 'a"b', "text": "nobody"}), json.dumps({"id": None, "text": "Илье Яшину"})]
    out = [json.loads(line) for line in match_lines(Matcher([YASHIN]), lines)]
    assert out == [
        {"id": 'a"b', "people": [], "matches": []},
        {
            "id": None,
            "people": ["Ilya Yashin"],
            "matches": [{"person": "Ilya Yashin", "alias": "Илья Яшин", "start": 0, "end": 10}],
        },
    ]


def test_from_db_carries_hashtags_handles_context_and_gender(settings, tmp_path):
    from monitor.core import db
    from monitor.core import storage as store
    from monitor.core.config_file import parse_watchlist

    watchlist = parse_watchlist(
        {
            "person": [
                {
                    "name": "Ivan Petrov",
                    "aliases": ["Петров"],
                    "context": ["полиц"],
                    "hashtags": ["#SavePetrov"],
                    "handles": ["@petrov_ivan"],
                    "gender": "m",
                }
            ]
        },
        "test.toml",
    )
    db.upgrade()
    with db.session_scope() as session:
        store.sync_watchlist(session, watchlist=watchlist)
    with db.session_scope() as session:
        matcher = matcher_cache.matcher_for(session)
        [(person, aliases, excludes)] = store.active_people(session)
        assert (person.name, aliases, excludes) == ("Ivan Petrov", ["Ivan Petrov", "Петров"], [])
    assert matcher.people_in("Петров выиграл") == []
    assert matcher.people_in("полиция: Петров уволился") == ["Ivan Petrov"]
    assert [m.alias for m in matcher.find("#SavePetrov @petrov_ivan")] == ["#SavePetrov", "@petrov_ivan"]
