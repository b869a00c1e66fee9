"""``monitor match``: a line that is not JSON stops it with exit 2 and one line naming the
line; ``--from-db`` matches the people in the database, web-added ones included."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core import db
from monitor.core.models import Alias, Person
from monitor.matching import Matcher, PersonNames, match_lines
from tests.fixtures import feeds
from tests.support import cli

ANNA = PersonNames("Anna Sokolova", ("Анна Соколова", "Sokolova"), ())


def _monitor(*args: str, input: str, env: dict | None = None, cwd: Path | None = None):
    return cli.monitor(*args, input=input, env=env, cwd=cwd)


def test_a_line_that_is_not_json_stops_with_exit_2_and_one_line_naming_it(tmp_path):
    config = tmp_path / "people.toml"
    config.write_text(feeds.CONFIG_PEOPLE, encoding="utf-8")
    lines = '{"id": 1, "text": "Владимир Воронцов"}\nnot json\n{"id": 3, "text": "x"}\n'
    done = _monitor("match", "--input", "-", "--config", str(config), input=lines)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]  # one line, no traceback
    assert "line 2" in done.stderr and "Traceback" not in done.stderr
    assert [json.loads(x)["id"] for x in done.stdout.splitlines()] == [1]  # the line before is answered


def test_a_json_line_without_text_names_its_line_too(tmp_path):
    config = tmp_path / "people.toml"
    config.write_text(feeds.CONFIG_PEOPLE, encoding="utf-8")
    done = _monitor("match", "--config", str(config), input="[1, 2]\n")
    assert done.returncode == 2 and "line 1" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_missing_input_file_is_one_line_too(tmp_path):
    done = _monitor("match", "--input", str(tmp_path / "nope.jsonl"), "--config", str(tmp_path / "x.toml"), input="")
    assert done.returncode == 2 and "Traceback" not in done.stderr


@hsettings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=40), max_size=6), bad=st.text(min_size=1, max_size=20), where=st.integers(0, 6))
def test_the_error_names_the_first_bad_line_and_every_line_before_is_answered(texts, bad, where):
    good = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(texts)]
    where = min(where, len(good))
    try:
        json.loads(bad)
        return  # this "bad" line happens to be JSON
    except ValueError:
        pass
    if not bad.strip() or "\n" in bad or "\r" in bad:
        return
    lines = good[:where] + [bad] + good[where:]
    out = []
    try:
        for line in match_lines(Matcher([ANNA]), lines):
            out.append(line)
        raise AssertionError("a line that is not JSON was accepted")
    except ValueError as exc:
        assert str(exc).startswith(f"line {where + 1}: ")
        assert "\n" not in str(exc)
    assert len(out) == where


def _add_web_person(url: str) -> None:
    with db.session_scope(url) as session:
        person = Person(name="Ilya Marchenko", origin="web")
        session.add(person)
        session.flush()
        session.add(Alias(person_id=person.id, kind="alias", text="Илья Марченко", origin="web"))


def test_from_db_matches_the_people_added_on_the_web_as_well_as_the_configs(db_url, tmp_path):
    config = tmp_path / "people.toml"
    config.write_text(feeds.CONFIG_PEOPLE, encoding="utf-8")
    _add_web_person(db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_DATABASE_URL": db_url, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    lines = "\n".join(
        json.dumps({"id": i, "text": t}, ensure_ascii=False)
        for i, t in enumerate(["Суд над Ильёй Марченко отложен", "Владимир Воронцов в СИЗО"])
    )
    from_config = _monitor("match", "--config", str(config), input=lines, env=env, cwd=tmp_path)
    from_db = _monitor("match", "--from-db", "--config", str(config), input=lines, env=env, cwd=tmp_path)
    assert from_config.returncode == 0 and from_db.returncode == 0, from_db.stderr
    people = lambda done: [json.loads(x)["people"] for x in done.stdout.splitlines()]
    assert people(from_config) == [[], ["Vladimir Vorontsov"]]
    assert people(from_db) == [["Ilya Marchenko"], ["Vladimir Vorontsov"]]
