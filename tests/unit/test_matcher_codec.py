"""The cached watch list's bytes (``monitor.matching.codec``): round trips, and hostile blobs
refused with ``CorruptCache`` only, within a bounded inflate. Pure: no database."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.matching import Matcher, PersonNames
from monitor.matching import codec as matcher_codec
from monitor.matching.codec import CorruptCache, decode, encode
from monitor.matching.expand import ALIAS, CONTEXT, EXCLUDE, build_table

KEY = "ab" * 32
text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


@st.composite
def tables(draw, people: int = 3) -> dict:
    """Tables of ``build_table``'s shape: key → {(person, kind): (person, kind, alias, form, flags)}."""
    table = {}
    for key in draw(st.lists(text.filter(bool), max_size=8, unique=True)):
        slots = draw(
            st.lists(
                st.tuples(st.integers(0, people - 1), st.sampled_from([ALIAS, EXCLUDE, CONTEXT])),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        table[key] = {slot: (*slot, draw(text), draw(text), draw(st.integers(0, 15))) for slot in slots}
    return table


@given(tables())
def test_a_table_round_trips_in_order(table):
    back = decode(encode(table, key=KEY, people=3), key=KEY, people=3)
    assert back == table
    assert list(back) == list(table) and [list(v) for v in back.values()] == [list(v) for v in table.values()]


@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_cleanly(blob):
    with pytest.raises(CorruptCache):
        decode(blob, key=KEY, people=3)


@given(tables(), st.data())
def test_a_truncated_blob_is_refused(table, data):
    blob = encode(table, key=KEY, people=3)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(CorruptCache):
        decode(blob[:cut], key=KEY, people=3)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=3),
    max_leaves=12,
)


@given(tables(), st.sampled_from(["aliases", "keys", "sizes", "forms", "ints", "format", "people"]), json_values)
def test_a_document_with_any_field_replaced_decodes_to_a_sound_table_or_is_refused(table, field, value):
    document = json.loads(zlib.decompress(encode(table, key=KEY, people=3)))
    document[field] = value
    try:
        back = decode(zlib.compress(json.dumps(document).encode()), key=KEY, people=3)
    except CorruptCache:
        return
    for key, entries in back.items():  # whatever got through is something the matcher can use
        assert isinstance(key, str) and key
        for (person, kind), entry in entries.items():
            assert 0 <= person < 3 and kind in (ALIAS, EXCLUDE, CONTEXT) and entry[:2] == (person, kind)
            assert all(isinstance(s, str) for s in entry[2:4]) and isinstance(entry[4], int)


def test_a_blob_that_inflates_past_the_bound_is_refused(monkeypatch):
    blob = encode({" яшин ": {(0, ALIAS): (0, ALIAS, "Яшин", "Яшин", 0)}}, key=KEY, people=1)
    monkeypatch.setattr(matcher_codec, "MAX_INFLATED", len(zlib.decompress(blob)) - 1)
    with pytest.raises(CorruptCache, match="inflates past"):
        decode(blob, key=KEY, people=1)


def test_the_blob_names_its_key_and_people():
    blob = encode({}, key=KEY, people=2)
    assert decode(blob, key=KEY, people=2) == {}
    for key, people in ((KEY[::-1], 2), (KEY, 3)):
        with pytest.raises(CorruptCache, match="another format"):
            decode(blob, key=key, people=people)


# Small watch lists drawn from names whose forms the posts below are made of.
NAMES = [
    ("Ilya Yashin", ("Илья Яшин", "Яшин")),
    ("Alexei Gorinov", ("Алексей Горинов", "Горинов")),
    ("Maria Kolesnikova", ("Мария Колесникова",)),
    ("Oleg Orlov", ("Олег Орлов", "Orlov")),
]
WORDS = [
    "Яшина",
    "Илью Яшина",
    "Lwa Jaszyna",
    "Jaschins",
    "Горинову",
    "Aleksiej Gorinow",
    "Колесниковой",
    "Марии Колесниковой",
    "Orłowa",
    "Олега Орлова",
    "#FreeYashin",
    "суд",
    "Лев Яшин",
    "Γιασίν",
    "Oleg Navalny",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(range(len(NAMES))), min_size=1, max_size=3, unique=True),
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join), min_size=1, max_size=5),
    st.lists(st.sampled_from(["pl", "de", "el", "be", "cs"]), max_size=3, unique=True),
    st.booleans(),
)
def test_a_loaded_table_matches_exactly_as_a_fresh_build(chosen, posts, languages, exclude):
    people = [
        PersonNames(NAMES[i][0], NAMES[i][1], ("Лев Яшин",) if exclude and i == 0 else (), languages=tuple(languages))
        for i in chosen
    ]
    loaded = Matcher(
        people, table=decode(encode(build_table(people), key=KEY, people=len(people)), key=KEY, people=len(people))
    )
    fresh = Matcher(people)
    assert [loaded.find(p) for p in posts] == [fresh.find(p) for p in posts]
