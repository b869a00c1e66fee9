"""The expanded watch list cached in the database (issue 15's start-up item, issue 22's 1 s).

Expansions are counted by wrapping ``matcher_cache.build_table`` (and, in other processes,
by ``matcher_cache.counts``), never by timing. Database tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Alias, MatcherCache, Person
from monitor.core.storage import matcher_cache, sync_watchlist
from monitor.matching import Matcher, PersonNames
from monitor.matching.codec import decode
from monitor.matching.expand import build_table
from tests.support import paths

REPO = paths.REPO
CORPUS = REPO / "tests" / "matching_corpus"
GREEK = "Ο Γιασίν είπε"  # found only when Greek ("el") is among Yashin's languages


@pytest.fixture
def expansions(monkeypatch) -> list[int]:
    """How many people each expansion of this process took; the memo starts empty."""
    calls: list[int] = []

    def counting(people):
        calls.append(len(people))
        return build_table(people)

    monkeypatch.setattr(matcher_cache, "build_table", counting)
    matcher_cache.forget()
    matcher_cache.counts.clear()
    yield calls
    matcher_cache.forget()


def add_person(session, name: str, aliases=(), *, excludes=(), languages=()) -> Person:
    """A person an admin added on the web, with alias, exclude and language rows."""
    person = Person(name=name, origin="web")
    session.add(person)
    session.flush()
    for kind, texts in (("alias", aliases), ("exclude", excludes), ("language", languages)):
        for text in texts:
            session.add(Alias(person_id=person.id, kind=kind, text=text, origin="web"))
    session.flush()
    return person


def yashin(db_url: str, *, languages=("el",)) -> None:
    with db.session_scope(db_url) as session:
        add_person(session, "Ilya Yashin", ("Илья Яшин", "Яшин"), excludes=("Лев Яшин",), languages=languages)


def matcher_of(db_url: str) -> Matcher:
    with db.session_scope(db_url) as session:
        return matcher_cache.matcher_for(session)


def stored(db_url: str) -> list[MatcherCache]:
    with db.session_scope(db_url) as session:
        return list(session.exec(select(MatcherCache)))


def test_the_first_build_expands_once_and_stores_a_row_that_decodes(db_url, expansions):
    yashin(db_url)
    matcher = matcher_of(db_url)
    assert expansions == [1]
    [row] = stored(db_url)
    assert row.people == 1 and row.built_at is not None
    assert decode(row.data, key=row.key, people=1) == matcher._engine.table
    assert [m.person for m in matcher.find(GREEK)] == ["Ilya Yashin"]


def test_a_warm_cache_is_loaded_without_expanding(db_url, expansions):
    yashin(db_url)
    cold = matcher_of(db_url)
    matcher_cache.forget()  # as a new process: only the database remembers
    warm = matcher_of(db_url)
    assert expansions == [1]
    assert matcher_cache.counts["loaded"] == 1
    assert warm is not cold and warm._engine.table == cold._engine.table
    assert warm.find("Вчера Илью Яшина снова вызвали в суд") == cold.find("Вчера Илью Яшина снова вызвали в суд")


def test_the_memo_answers_each_batch_of_one_process(db_url, expansions):
    yashin(db_url)
    first = matcher_of(db_url)
    assert matcher_of(db_url) is first and matcher_of(db_url) is first
    assert expansions == [1] and matcher_cache.counts["memo"] == 2


@pytest.mark.parametrize("change", ["alias", "exclude", "language", "paused", "new person"])
def test_an_edit_on_the_web_makes_a_new_key(db_url, expansions, change):
    yashin(db_url)
    before = matcher_of(db_url)
    with db.session_scope(db_url) as session:
        person = session.exec(select(Person)).one()
        if change == "paused":
            person.paused_at = datetime.now(timezone.utc)
        elif change == "new person":
            add_person(session, "Maria Kolesnikova", ("Мария Колесникова",))
        else:
            session.add(
                Alias(
                    person_id=person.id,
                    kind=change,
                    text={"alias": "Яшин Илья Валерьевич", "exclude": "Яшин сказал", "language": "pl"}[change],
                )
            )
    after = matcher_of(db_url)
    assert after is not before and expansions == [1, 0 if change == "paused" else 2 if change == "new person" else 1]
    assert len(stored(db_url)) == 2


def test_the_new_matcher_follows_the_edit(db_url, expansions):
    yashin(db_url, languages=("pl",))
    assert matcher_of(db_url).find(GREEK) == []
    with db.session_scope(db_url) as session:
        person = session.exec(select(Person)).one()
        session.add(Alias(person_id=person.id, kind="language", text="el"))
    assert [m.form for m in matcher_of(db_url).find(GREEK)] == ["γιασιν"]


def test_a_config_edit_makes_a_new_key(db_url, expansions, tmp_path):
    config = tmp_path / "monitor.toml"
    for languages in ('["pl"]', '["pl", "el"]'):
        person = '[[person]]\nname = "Ilya Yashin"\naliases = ["Илья Яшин", "Яшин"]\n'
        config.write_text(f"{person}languages = {languages}\n", encoding="utf-8")
        with db.session_scope(db_url) as session:
            sync_watchlist(session, watchlist=load_watchlist(config))
        found = matcher_of(db_url).find(GREEK)
    assert expansions == [1, 1] and [m.person for m in found] == ["Ilya Yashin"]


def test_only_the_newest_rows_are_kept(db_url, expansions):
    for number in range(matcher_cache.KEEP_ROWS + 2):
        with db.session_scope(db_url) as session:
            add_person(session, f"Person {number}", (f"Фамилия{number}ов",), languages=["pl"])
        matcher_of(db_url)
    assert len(stored(db_url)) == matcher_cache.KEEP_ROWS


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "not json", "another key", "person out of range"])
def test_a_corrupt_row_is_ignored_and_replaced(db_url, expansions, damage, caplog):
    yashin(db_url)
    good = matcher_of(db_url)
    [row] = stored(db_url)
    document = json.loads(zlib.decompress(row.data))
    bad = {
        "truncated": row.data[: len(row.data) // 2],
        "garbage": b"\x00\xffnot a blob at all" * 50,
        "empty": b"",
        "not json": zlib.compress(b"{'python': 'repr'}"),
        "another key": zlib.compress(json.dumps({**document, "key": "0" * 64}).encode()),
        "person out of range": zlib.compress(json.dumps({**document, "ints": [7] + document["ints"][1:]}).encode()),
    }[damage]
    with db.session_scope(db_url) as session:
        session.execute(sa.update(MatcherCache).values(data=bad))
    matcher_cache.forget()
    rebuilt = matcher_of(db_url)
    assert matcher_cache.counts["corrupt"] == 1 and expansions == [1, 1]
    assert rebuilt._engine.table == good._engine.table
    [row] = stored(db_url)
    assert decode(row.data, key=row.key, people=1) == good._engine.table  # the row was mended
    assert "Яшин" not in caplog.text and "Yashin" not in caplog.text  # logs carry no names


def test_a_build_inside_a_writing_transaction_is_stored_with_it(db_url, expansions):
    """A stream sync writes, then asks for the matcher in the same transaction: on SQLite that
    transaction holds the write lock, so the row goes into it rather than waiting 30 s."""
    with db.session_scope(db_url) as session:
        add_person(session, "Ilya Yashin", ("Яшин",), languages=["el"])
        assert [m.person for m in matcher_cache.matcher_for(session).find(GREEK)] == ["Ilya Yashin"]
    assert matcher_cache.counts["unsaved"] == 0 and len(stored(db_url)) == 1
    matcher_cache.forget()
    matcher_of(db_url)
    assert expansions == [1] and matcher_cache.counts["loaded"] == 1


def test_without_the_cache_table_the_matcher_is_built_and_the_transaction_survives(db_url, expansions):
    """A worker on a database not yet migrated: the cache fails, matching and the caller do not."""
    with db.session_scope(db_url) as session:
        session.execute(sa.text("DROP TABLE matcher_cache"))
    with db.session_scope(db_url) as session:
        add_person(session, "Ilya Yashin", ("Яшин",), languages=["el"])
        assert [m.person for m in matcher_cache.matcher_for(session).find(GREEK)] == ["Ilya Yashin"]
        add_person(session, "Maria Kolesnikova", ("Колесникова",))
    assert matcher_cache.counts["unreadable"] == 1 and matcher_cache.counts["unsaved"] == 1
    with db.session_scope(db_url) as session:
        assert len(session.exec(select(Person)).all()) == 2


def test_the_migration_adds_and_removes_the_table(db_url):
    from alembic import command

    config = db.alembic_config(db_url)
    command.downgrade(config, "0014_streams")
    assert "matcher_cache" not in sa.inspect(db.get_engine(db_url)).get_table_names()
    command.upgrade(config, "head")
    assert "matcher_cache" in sa.inspect(db.get_engine(db_url)).get_table_names()


SHARE = """
import json, sys
from monitor.core import db
from monitor.core.storage import matcher_cache
with db.session_scope(sys.argv[1]) as session:
    matcher = matcher_cache.matcher_for(session)
print(json.dumps({"counts": dict(matcher_cache.counts), "found": [m.person for m in matcher.find(sys.argv[2])]}))
"""


def run_process(db_url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SHARE, db_url, GREEK], cwd=REPO, stdout=subprocess.PIPE, text=True)


def outcome(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0
    return json.loads(out)


def test_two_processes_share_one_build(db_url):
    yashin(db_url)
    first = outcome(run_process(db_url))
    second = outcome(run_process(db_url))
    assert first == {"counts": {"expanded": 1}, "found": ["Ilya Yashin"]}
    assert second == {"counts": {"loaded": 1}, "found": ["Ilya Yashin"]}


def test_two_processes_building_at_once_both_succeed(db_url, expansions):
    yashin(db_url)
    answers = [outcome(p) for p in [run_process(db_url), run_process(db_url)]]
    assert [a["found"] for a in answers] == [["Ilya Yashin"], ["Ilya Yashin"]]
    assert len(stored(db_url)) == 1
    matcher_of(db_url)
    assert expansions == [] and matcher_cache.counts["loaded"] == 1


def test_the_corpus_matches_alike_cached_and_uncached(db_url, expansions):
    """Every post of the labelled corpus, matched by a loaded matcher and by a fresh build."""
    with db.session_scope(db_url) as session:
        sync_watchlist(session, watchlist=load_watchlist(CORPUS / "people.toml"))
        people = matcher_cache.people_from_db(session)
    matcher_of(db_url)
    matcher_cache.forget()
    warm = matcher_of(db_url)
    assert expansions == [len(people)] and matcher_cache.counts["loaded"] == 1
    fresh = Matcher(people)
    texts = [
        line.split("|", 2)[2]
        for line in (CORPUS / "posts.txt").read_text(encoding="utf-8").splitlines()
        if line.count("|") >= 2 and not line.startswith("# ")
    ]
    assert len(texts) > 300
    assert sum(1 for t in texts if warm.find(t)) > 200  # the comparison is not of empty answers
    assert [warm.find(t) for t in texts] == [fresh.find(t) for t in texts]


def test_the_key_follows_every_field_and_the_code(monkeypatch):
    person = PersonNames("Ilya Yashin", ("Яшин",))
    variants = [
        PersonNames("Ilya Yashin", ("Яшин",), languages=()),
        PersonNames("Ilya Yashin", ("Яшин",), gender="m"),
        PersonNames("Ilya Yashin", ("Яшин",), context=("суд",)),
        PersonNames("Ilya Yashin", ("Яшин", "Yashin")),
    ]
    keys = {matcher_cache.expansion_key([p]) for p in [person, *variants]}
    assert len(keys) == 5
    assert matcher_cache.expansion_key([person, variants[0]]) != matcher_cache.expansion_key([variants[0], person])
    monkeypatch.setattr(matcher_cache, "code_digest", lambda: "another version of the rules")
    assert matcher_cache.expansion_key([person]) not in keys
