"""The search condition on ``mention``, for PostgreSQL and SQLite.

PostgreSQL: migration 0022 adds ``mention.search_document`` (generated, stored, GIN-indexed):
title and text as one ``tsvector`` in the Russian, English and simple configurations, concatenated. A term matches
when any configuration's form of it is present (``phraseto_tsquery`` of each, or-ed), so
Воронцов finds Воронцова by the Russian stemmer, "courts" finds court by the English one and
any other script by its plain words (the lexemes of every configuration sit in one vector, so
"воронцов" from the simple configuration meets the Russian stem of Воронцова); the whole query
is one ``tsquery`` against the column.

SQLite: ``mention_fts`` (FTS5, ``unicode61`` without diacritic folding, kept in step by
triggers). Each term is an FTS5 phrase, a tracked name's word expanded to all its forms
(``names``); positive groups are one MATCH, negated ones one ``NOT IN`` MATCH. Every word is
quoted, so no input reaches FTS5's own syntax.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from monitor.core.models import Mention
from monitor.core.storage.fulltext.names import Forms, forms_of
from monitor.core.storage.fulltext.query import Group, parse

CONFIGS = ("russian", "english", "simple")
FTS_TABLE = "mention_fts"


DOCUMENT_COLUMN = "search_document"


def _document():
    return sa.literal_column(f"{Mention.__tablename__}.{DOCUMENT_COLUMN}")


def matches(session: Session, query: str):
    """The condition "this mention matches ``query``" for the session's database; false when the
    query holds no word."""
    groups = parse(query or "")
    if not groups:
        return sa.false()
    if session.get_bind().dialect.name == "postgresql":
        return _postgresql(groups)
    # Late: the web imports this module before storage is ready.
    from monitor.core.storage.matcher_cache import matcher_for

    return _sqlite(groups, forms_of(matcher_for(session)))


def _postgresql(groups: list[Group]):
    def term(words: tuple[str, ...]):
        text = sa.bindparam(None, " ".join(words), type_=sa.Text, unique=True)
        parts = [sa.func.phraseto_tsquery(sa.literal_column(f"'{c}'::regconfig"), text) for c in CONFIGS]
        return _fold(sa.func.tsquery_or, parts)

    clauses = []
    for group in groups:
        either = _fold(sa.func.tsquery_or, [term(t) for t in group.terms])
        clauses.append(sa.func.tsquery_not(either) if group.negated else either)
    return _document().op("@@")(_fold(sa.func.tsquery_and, clauses))


def _fold(function, parts: list):
    result = parts[0]
    for part in parts[1:]:
        result = function(result, part)
    return result


def fts5_query(groups: list[Group], forms: Forms | None) -> str:
    """The FTS5 MATCH string for ``groups`` (all of them, negated or not: the caller splits)."""

    def phrase(words: tuple[str, ...]) -> str:
        return '"' + " ".join(words).replace('"', '""') + '"'

    def term(words: tuple[str, ...]) -> list[str]:
        return [phrase(f) for f in (forms.expand(words) if forms else [words])]

    return " AND ".join("(" + " OR ".join(p for t in g.terms for p in term(t)) + ")" for g in groups)


def _sqlite(groups: list[Group], forms: Forms):
    index = sa.table(FTS_TABLE, sa.column("rowid"))
    conditions = []
    positive = [g for g in groups if not g.negated]
    negative = [Group(tuple(t for g in groups if g.negated for t in g.terms))] if len(positive) < len(groups) else []
    for group_list, wanted in ((positive, True), (negative, False)):
        if group_list:
            match = sa.literal_column(FTS_TABLE).op("MATCH")(
                sa.bindparam(None, fts5_query(group_list, forms), unique=True)
            )
            subquery = sa.select(index.c.rowid).where(match)
            column = Mention.id.in_(subquery) if wanted else Mention.id.not_in(subquery)
            conditions.append(column)
    return sa.and_(*conditions)
