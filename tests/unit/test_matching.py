"""The matcher behind ``monitor match``: word boundaries, case, scripts, excludes, offsets."""

from __future__ import annotations

import json

from monitor.matching import Matcher, PersonNames, match_lines

VORONTSOV = PersonNames("Vladimir Vorontsov", ("Владимир Воронцов", "Vorontsov"), ("Vorontsov Palace",))


def test_it_finds_aliases_case_insensitively_with_offsets():
    text = "Today VORONTSOV spoke; владимир воронцов was sentenced."
    found = Matcher([VORONTSOV]).find(text)
    assert [(m.alias, text[m.start : m.end]) for m in found] == [
        ("Vorontsov", "VORONTSOV"),
        ("Владимир Воронцов", "владимир воронцов"),
    ]


def test_it_needs_word_boundaries():
    assert Matcher([VORONTSOV]).find("Vorontsovka and SuperVorontsov") == []


def test_an_exclude_phrase_cancels_the_match_it_covers_only():
    found = Matcher([VORONTSOV]).find("The Vorontsov Palace, where Vorontsov spoke")
    assert [m.start for m in found] == [28]


def test_the_longest_alias_wins_at_one_place():
    found = Matcher([VORONTSOV]).find("Vladimir Vorontsov")
    assert [(m.alias, m.start, m.end) for m in found] == [("Vladimir Vorontsov", 0, 18)]


def test_match_lines_keeps_order_and_ids():
    lines = [json.dumps({"id": 2, "text": "nothing"}), json.dumps({"id": "x", "text": "Vorontsov"})]
    out = [json.loads(line) for line in match_lines(Matcher([VORONTSOV]), lines)]
    assert out == [
        {"id": 2, "people": [], "matches": []},
        {
            "id": "x",
            "people": ["Vladimir Vorontsov"],
            "matches": [{"person": "Vladimir Vorontsov", "alias": "Vorontsov", "start": 0, "end": 9}],
        },
    ]
