"""The config's evidence keys: ``preserve`` on a person and the ``[evidence]`` table, strictly checked."""

from __future__ import annotations

import tomllib
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core import db
from monitor.core.config_file import ConfigError, load_watchlist, parse_watchlist
from monitor.core.durations import parse_duration
from monitor.core.models import Person
from monitor.core.storage.config_sync import sync_config
from tests.support.evidence import PEOPLE, rows, sync


def _parse(text: str):
    return parse_watchlist(tomllib.loads(text), "monitor.toml")


def test_the_evidence_table_has_its_defaults_and_reads_durations():
    assert _parse(PEOPLE).evidence.recheck == ["1h", "1d", "7d", "30d"]
    entry = _parse(PEOPLE + '\n[evidence]\nrecheck = ["90m", "2w"]\ntsa = ["https://tsa.example/tsr"]\n').evidence
    assert [parse_duration(v) for v in entry.recheck] == [timedelta(minutes=90), timedelta(weeks=2)]
    assert entry.tsa == ["https://tsa.example/tsr"] and entry.tsa_ca_file is None


@pytest.mark.parametrize(
    "table, expected",
    [
        ('[evidence]\nrechek = ["1h"]', "monitor.toml: evidence: rechek: unknown key; did you mean 'recheck'?"),
        ('[evidence]\nrecheck = ["1x"]', "monitor.toml: evidence: recheck: '1x' is not a duration"),
        ('[evidence]\nrecheck = ["0h"]', "monitor.toml: evidence: recheck: '0h' is not a duration"),
    ],
)
def test_a_bad_evidence_key_is_one_line_naming_it(table, expected):
    with pytest.raises(ConfigError) as error:
        _parse(PEOPLE + "\n" + table + "\n")
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)


def test_preserve_must_be_true_or_false():
    with pytest.raises(ConfigError) as error:
        _parse('[[person]]\nname = "Anna Sokolova"\npreserve = "maybe"\n')
    assert "person[1] (Anna Sokolova): preserve:" in str(error.value)


def test_the_sync_copies_preserve_to_the_person_and_clears_it_when_removed(settings):
    sync(settings, [])
    assert {p.name: p.preserve for p in rows(Person)} == {"Vladimir Vorontsov": True, "Anna Sokolova": False}
    settings.config.write_text(PEOPLE.replace("preserve = true\n", ""), encoding="utf-8")
    with db.session_scope() as session:
        sync_config(session, watchlist=load_watchlist(settings.config), allow_empty=True)
    assert not any(p.preserve for p in rows(Person))


@given(st.text(max_size=12))
def test_parse_duration_answers_a_duration_or_a_value_error(text):
    try:
        assert parse_duration(text) > timedelta(0)
    except ValueError as exc:
        assert "\n" not in str(exc)
