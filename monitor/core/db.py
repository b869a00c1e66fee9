"""Engine, sessions and schema upgrades for SQLite and PostgreSQL.

``get_engine(url)`` caches one engine per URL per process. SQLite runs in WAL mode with a
busy timeout so that the web app, a worker and the scheduler can share one file.
``upgrade(url)`` brings any database to the current Alembic head, creating the SQLite
file and its folder when missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from monitor.core import textsearch  # noqa: F401 - registers the search fold on every SQLite connection
from monitor.core.settings import create_private_file, get_settings, private_dir

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


_ENGINES: dict[str, sa.Engine] = {}


def get_engine(url: str | None = None) -> sa.Engine:
    """The engine for ``url`` (default: ``MONITOR_DATABASE_URL``), created once per process."""
    url = url or get_settings().database_url
    if url not in _ENGINES:
        _ENGINES[url] = _sqlite_engine(url) if make_url(url).get_backend_name() == "sqlite" else _server_engine(url)
    return _ENGINES[url]


def _server_engine(url: str) -> sa.Engine:
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _forget_inherited_connections() -> None:
    # A forked child (a Celery prefork worker, a benchmark's pool) must not reuse the
    # parent's sockets; it opens its own, leaving the parent's untouched.
    for engine in _ENGINES.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def _create_private_database(path: Path) -> None:
    """Create the SQLite file empty and 0600 before SQLite opens it: SQLite gives its -wal and
    -shm files the database file's mode, so none of them is ever readable by others."""
    private_dir(path.parent)
    try:
        create_private_file(path, b"")
    except FileExistsError:
        pass


def _sqlite_engine(url: str) -> sa.Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        _create_private_database(Path(database))
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str):
    """An Alembic ``Config`` for our bundled migrations pointed at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the database at ``url`` to the newest schema (idempotent).

    Every command and process starts with this; a database already at the head is told so by
    one query, without Alembic (loading it and every migration script costs about half a second
    per command)."""
    url = url or get_settings().database_url
    engine = get_engine(url)  # creates the SQLite folder
    if _stored_revision(engine) == head_revision():
        return
    from alembic import command

    command.upgrade(alembic_config(url), "head")


_REVISION_LINE = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


def head_revision() -> str:
    """The newest migration's revision id, read from the last file of ``versions/``: the file
    names sort in chain order (tests/db/test_migrations.py holds that, and that this is
    Alembic's one head)."""
    newest = max((MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    return _REVISION_LINE.search(newest.read_text(encoding="utf-8")).group(1)


def _stored_revision(engine: sa.Engine) -> str | None:
    """The revision the database says it is at; None when it has no Alembic table yet."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except sa.exc.DBAPIError:
        return None
    return rows[0][0] if len(rows) == 1 else None
