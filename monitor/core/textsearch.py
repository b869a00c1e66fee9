"""Case-folded text search in every script, on both databases (no full-text search here).

SQLite's ``lower()`` and ``LIKE`` fold ASCII letters only, so ``сизо`` never found ``СИЗО``.
Both sides of a search go through ``fold_case`` (Python's ``str.lower``, ς read as σ): on
SQLite a Python function ``monitor_contains`` is registered on every connection; PostgreSQL
runs ``strpos(replace(lower(…), 'ς', 'σ'), …)``, its ``lower`` folding every script under a
UTF-8 locale just as ``str.lower`` does (``ß`` stays ``ß``), so both databases find the same
rows. Considered: a stored lower-cased column (a migration and a write on every insert for a
filter that scans anyway), and SQLite's ICU extension (not in Python's sqlite3 build).
``monitor.core.db`` imports this module so that every SQLite connection has the function;
``bench/bench_search.py`` prints the cost beside SQLite's own ``LIKE``.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SQLITE_CONTAINS = "monitor_contains"


def fold_case(value: str) -> str:
    """``value`` lower-cased without context: Python writes a word-final sigma as ς, which
    would make "ΣΑΣ" differ from a search for "σας"; every ς becomes σ on both sides."""
    return value.lower().replace("ς", "σ")


class folded_contains(FunctionElement):
    """True when folded ``haystack`` contains ``needle`` (already folded): one call per row on
    SQLite (``monitor_contains``, Python's substring search), ``strpos`` on PostgreSQL."""

    type = sa.Boolean()
    name = "folded_contains"
    inherit_cache = True


@compiles(folded_contains)
def _strpos(element, compiler, **kw):
    haystack, needle = list(element.clauses)
    return (
        f"(strpos(replace(lower({compiler.process(haystack, **kw)}), 'ς', 'σ'), {compiler.process(needle, **kw)}) > 0)"
    )


@compiles(folded_contains, "sqlite")
def _sqlite_contains(element, compiler, **kw):
    return f"{SQLITE_CONTAINS}({compiler.process(element.clauses, **kw)})"


def _py_contains(haystack, needle) -> int:
    return int(isinstance(haystack, str) and isinstance(needle, str) and needle in fold_case(haystack))


@sa.event.listens_for(sa.engine.Engine, "connect")
def _register(dbapi_connection, connection_record) -> None:
    # Every engine, so the poller's and the tests' SQLite connections can run the same queries.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(SQLITE_CONTAINS, 2, _py_contains, deterministic=True)


def contains(column, text: str):
    """``column`` contains ``text``, ignoring case in every script (a plain substring: ``%`` and
    ``_`` mean themselves). A substring search rather than ``LIKE '%…%'``: the same answer, and
    on SQLite one Python call per row instead of a call and a LIKE (``bench/bench_search.py``)."""
    return folded_contains(column, sa.literal(fold_case(text), sa.Text()))
