"""Restoring a backup into an empty database, in one transaction.

``restore_database`` refuses a database that holds any row, and a backup of another schema
revision; it inserts every table in dependency order, then moves PostgreSQL's sequences past
the restored ids. Any error rolls the whole transaction back: nothing is half-restored.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from monitor.backup import payload
from monitor.backup.crypto import BackupError
from monitor.backup.snapshot import revision

BATCH_ROWS = 500


def non_empty_tables(conn: sa.Connection) -> list[str]:
    """The tables of ``SQLModel.metadata`` that hold a row."""
    return [
        t.name
        for t in SQLModel.metadata.sorted_tables
        if conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first()
    ]


def restore_database(url: str, records: Iterable[dict]) -> int:
    """Insert the rows of ``records`` into the empty database at ``url``; returns the row count."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            full = non_empty_tables(conn)
            if full:
                raise BackupError(
                    f"the database is not empty (table {full[0]!r} holds rows): restore into an empty one"
                )
            rows = _insert_all(conn, records, revision(conn))
            if make_url(url).get_backend_name() == "postgresql":
                _advance_sequences(conn)
            return rows
    finally:
        engine.dispose()


def _insert_all(conn: sa.Connection, records: Iterable[dict], current: str | None) -> int:
    tables, table, batch, decoders, rows = SQLModel.metadata.tables, None, [], [], 0
    for record in records:
        kind = record["kind"]
        if kind == "meta" and record.get("revision") != current:
            raise BackupError(
                f"the backup is of schema {record.get('revision')}, this monitor's is {current}: "
                "restore it with the version that made it"
            )
        if kind != "row" and batch:
            conn.execute(table.insert(), batch)
            batch = []
        if kind == "end":
            if record.get("rows") != rows:
                raise BackupError("the backup is damaged (its row count does not add up)")
            return rows
        if kind == "table":
            table = tables.get(record["table"])
            if table is None or record["columns"] != [c.name for c in table.columns]:
                raise BackupError(f"the backup's table {record['table']!r} does not match this monitor's schema")
            decoders = [(c.name, payload.decoder(c)) for c in table.columns]
        elif kind == "row":
            batch.append({name: decode(value) for (name, decode), value in zip(decoders, record["r"], strict=True)})
            rows += 1
            if len(batch) >= BATCH_ROWS:
                conn.execute(table.insert(), batch)
                batch = []
    raise BackupError("the backup is cut short (it has no end record)")


def _advance_sequences(conn: sa.Connection) -> None:
    """Move each serial/identity sequence past the highest restored id."""
    for table in SQLModel.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is not True and not (column.autoincrement == "auto" and _serial(column)):
                continue
            quoted = conn.dialect.identifier_preparer.quote(table.name)
            sequence = conn.execute(sa.select(sa.func.pg_get_serial_sequence(quoted, column.name))).scalar()
            if sequence:
                top = conn.execute(sa.select(sa.func.max(column))).scalar()
                conn.execute(sa.select(sa.func.setval(sequence, top or 1, top is not None)))


def _serial(column: sa.Column) -> bool:
    return len(column.table.primary_key.columns) == 1 and isinstance(column.type, sa.Integer)
