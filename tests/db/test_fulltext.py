"""Full-text search of mentions (issue 21), on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.db import session_scope
from monitor.core.models import Alias, Mention, Person, Source, utcnow
from monitor.core.storage import fulltext
from monitor.core.storage.fulltext.query import MAX_TERMS, parse

TEXTS = {
    "name": ("Суд", "Адвокат Воронцова подал апелляцию."),
    "dative": ("Письмо", "Передайте письмо Воронцову в СИЗО."),
    "phrase": ("Court hearing", "The court hearing was postponed."),
    "reversed": ("Hearing", "A hearing at the court, not in prison."),
    "prison": ("Prison", "The court sent him to prison."),
    "greek": ("ΔΙΚΗ ΣΤΗΝ ΑΘΗΝΑ", "verdict"),
}


def _add(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        source = Source(url="https://news.example/feed", name="News")
        person = Person(name="Владимир Воронцов")
        session.add_all([source, person])
        session.flush()
        session.add(Alias(person_id=person.id, kind="alias", text="Владимир Воронцов"))
        mentions = {
            key: Mention(
                source_id=source.id,
                guid=key,
                url=f"https://news.example/{key}",
                title=title,
                text=text,
                fetched_at=utcnow(),
            )
            for key, (title, text) in TEXTS.items()
        }
        session.add_all(mentions.values())
        session.flush()
        return {key: m.id for key, m in mentions.items()}


def _found(url: str, query: str) -> set[int]:
    with session_scope(url) as session:
        return set(session.exec(sa.select(Mention.id).where(fulltext.matches(session, query))).scalars())


def _keys(ids: dict[str, int], *keys: str) -> set[int]:
    return {ids[k] for k in keys}


def test_an_inflected_form_finds_the_other_forms_of_the_name(db_url):
    ids = _add(db_url)
    assert _found(db_url, "Воронцов") == _keys(ids, "name", "dative")
    assert _found(db_url, "воронцову") == _keys(ids, "name", "dative")
    assert _found(db_url, "сизо") == _keys(ids, "dative")


def test_a_quoted_phrase_needs_its_words_in_order(db_url):
    ids = _add(db_url)
    assert _found(db_url, '"court hearing"') == _keys(ids, "phrase")
    assert _found(db_url, "court hearing") == _keys(ids, "phrase", "reversed")


def test_a_minus_excludes_a_word_or_phrase(db_url):
    ids = _add(db_url)
    assert _found(db_url, "court -prison") == _keys(ids, "phrase")
    assert _found(db_url, 'court -"court hearing"') == _keys(ids, "reversed", "prison")
    assert _found(db_url, "-court") == _keys(ids, "name", "dative", "greek")
    assert _found(db_url, "апелляцию -Воронцов") == set()  # every form of the name is excluded


def test_or_joins_the_words_beside_it(db_url):
    ids = _add(db_url)
    assert _found(db_url, "postponed or sent") == _keys(ids, "phrase", "prison")
    assert _found(db_url, "court postponed or sent") == _keys(ids, "phrase", "prison")


def test_case_is_folded_in_every_script_but_accents_are_not(db_url):
    ids = _add(db_url)
    assert _found(db_url, "δικη") == _keys(ids, "greek")
    assert _found(db_url, "δίκη") == set()
    assert _found(db_url, "COURT -PRISON") == _keys(ids, "phrase")


def test_edits_and_deletions_reach_the_index(db_url):
    ids = _add(db_url)
    with session_scope(db_url) as session:
        session.get(Mention, ids["greek"]).text = "acquittal"
        session.delete(session.get(Mention, ids["prison"]))
    assert _found(db_url, "acquittal") == _keys(ids, "greek")
    assert _found(db_url, "verdict") == set()
    assert _found(db_url, "prison") == _keys(ids, "reversed")


@pytest.mark.parametrize("query", ["", "   ", "-", '""', "_", "%", "or", "--", "!!!"])
def test_a_query_without_a_word_finds_nothing(db_url, query):
    _add(db_url)
    assert _found(db_url, query) == set()


PIECES = list("\"-*:^()&|!<>\\'{}+ ") + ["\x00", "Вор", "Воронцов", "NOT", "AND", "OR", "or", "NEAR", "court", "é"]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=20).map("".join) | st.text(max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=HOSTILE)
def test_a_hostile_query_never_errors(db_url, query):
    with session_scope(db_url) as session:
        if not session.exec(sa.select(Source.id)).first():
            session.add(Source(url="https://news.example/feed", name="News"))
    _found(db_url, query)  # raises on an FTS5 syntax error or a bad tsquery


@given(query=st.text(max_size=3000))
def test_the_parser_yields_bounded_non_empty_terms(query):
    groups = parse(query)
    assert len(groups) <= MAX_TERMS
    assert all(term and all(word and word == word.lower() for word in term) for g in groups for term in g.terms)
