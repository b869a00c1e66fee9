"""Idempotent bulk inserts for either database: ``INSERT … ON CONFLICT DO NOTHING``.

A redelivered task or two overlapping workers do no harm: the unique keys decide.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_ignore(session: Session, model, rows: list[dict], *, keys: Iterable[str] | None = None):
    """``INSERT … ON CONFLICT DO NOTHING`` for either dialect; returns the inserted primary keys.


    ``keys`` names the unique columns the conflict is judged on (all unique keys when None).
    """
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # executemany over one cached statement (SQLAlchemy batches it into multi-row INSERTs).
    statement = dialect.insert(model.__table__).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
    primary = sa.inspect(model).primary_key[0]
    return list(session.execute(statement.returning(primary), _uniform(rows)).scalars())


def _uniform(rows: list[dict]) -> list[dict]:
    """Rows with the same keys, as executemany needs (a missing key is None)."""
    keys = dict.fromkeys(k for row in rows for k in row)
    return [{k: row.get(k) for k in keys} for row in rows]


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_batch(session: Session, model, rows: list[dict], *, keys: Iterable[str] | None = None, returning=None):
    """``insert_ignore`` for the poller's large batches of plain columns; the ``returning`` rows.


    On PostgreSQL the batch travels as one array per column through one cached statement
    (``INSERT … SELECT * FROM unnest(…)``): a multi-row VALUES of a thousand rows costs more
    to build and parse than to run. ``returning`` is a tuple of columns (the primary key if None).
    """
    table = model.__table__
    returning = returning or (sa.inspect(model).primary_key[0],)
    if not rows:
        return []
    if not _is_postgresql(session):
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
        return session.execute(statement.returning(*returning), _uniform(rows)).all()
    names = tuple(dict.fromkeys(k for row in rows for k in row))
    statement = _unnest_insert(
        table, names, tuple(keys or ()), tuple(c.name for c in returning), session.get_bind().dialect
    )
    return session.execute(statement, {name: [_pg_value(row.get(name)) for row in rows] for name in names}).all()


@functools.lru_cache(maxsize=32)
def _unnest_insert(table: sa.Table, names: tuple[str, ...], keys: tuple[str, ...], returning: tuple[str, ...], dialect):
    columns = ", ".join(f'"{name}"' for name in names)
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names)
    target = f"({', '.join(keys)}) " if keys else ""
    return sa.text(
        f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({arrays})'
        f" ON CONFLICT {target}DO NOTHING RETURNING {', '.join(returning)}"
    )


def _pg_value(value):
    # What UTCDateTime does for bound parameters, which text statements bypass.
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value
