"""A consistent read of every table: one REPEATABLE READ transaction on PostgreSQL; on SQLite
the online backup API (``sqlite3.Connection.backup``) into a private temporary copy, read
after. Either way every table is read as of one moment while the monitor keeps running."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from monitor.backup import payload


@contextmanager
def snapshot(url: str) -> Iterator[sa.Connection]:
    """A connection that reads the database at ``url`` as of one moment."""
    if make_url(url).get_backend_name() == "sqlite":
        with _sqlite_copy(make_url(url).database) as copy:
            yield copy
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield conn
    finally:
        engine.dispose()


@contextmanager
def _sqlite_copy(database: str) -> Iterator[sa.Connection]:
    # The copy holds the names in clear: a 0700 folder of its own, removed at once after.
    with tempfile.TemporaryDirectory(prefix="monitor-backup-") as folder:
        copy_path = Path(folder) / "snapshot.db"
        source, target = sqlite3.connect(database), sqlite3.connect(copy_path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        engine = sa.create_engine(f"sqlite:///{copy_path}", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()


def revision(conn: sa.Connection) -> str | None:
    """The Alembic revision the database is at."""
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def database_records(conn: sa.Connection) -> Iterator[dict]:
    """The "meta" record, then every table of ``SQLModel.metadata`` in dependency order."""
    yield {
        "kind": "meta",
        "format": payload.FORMAT,
        "revision": revision(conn),
        "dialect": conn.dialect.name,
        "created_at": datetime.now(UTC).isoformat(),
    }
    for table in SQLModel.metadata.sorted_tables:
        yield from payload.table_records(conn, table)
