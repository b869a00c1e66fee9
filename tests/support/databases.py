"""Fresh databases for the tests, made cheaply.

Migrating a database takes about a second on this machine, and so does creating and dropping a
PostgreSQL one (DROP DATABASE waits for a checkpoint). Each test still gets a database of its
own, but:

* SQLite: the migrations run once per test process into a template file that each test copies.
* PostgreSQL: the migrations run once into a template database; copies of it are made *ahead*
  of need and used ones dropped *after* the test, on a thread of the pool's own, so a test waits
  for neither.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa

PG_URL = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
READY_AHEAD = 2  # databases copied before they are asked for, per test process


def pg_admin_engine() -> sa.Engine:
    url = sa.engine.make_url(PG_URL)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def pg_url(database: str) -> str:
    return sa.engine.make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def fresh_pg_database(template: str) -> str:
    """A new database copied from ``template``, made now (the pool makes them ahead)."""
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    with pg_admin_engine().connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return pg_url(name)


def drop_pg_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    with pg_admin_engine().connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PgPool:
    """Copies of the template made ahead, and used copies dropped behind, on one thread."""

    def __init__(self, template: str, ahead: int = READY_AHEAD):
        self.template = template
        self.ahead = ahead
        self.ready: queue.Queue[str] = queue.Queue()
        self.used: queue.Queue[str] = queue.Queue()
        self.wake = threading.Event()
        self.stopping = False
        self.failure: Exception | None = None
        self.thread = threading.Thread(target=self._work, name="pg-pool", daemon=True)
        self.thread.start()

    def take(self) -> str:
        try:
            return self.ready.get(timeout=120)
        except queue.Empty:
            raise RuntimeError(f"no PostgreSQL database was made in 120 s: {self.failure!r}") from None
        finally:
            self.wake.set()

    def give_back(self, url: str) -> None:
        self.used.put(url)
        self.wake.set()

    def close(self) -> None:
        """Stop the thread; the databases still to drop go to a process of their own, which
        outlives the run: at the end of a busy run that is dozens of drops, a checkpoint each,
        that nobody needs to wait for."""
        self.stopping = True
        self.wake.set()
        self.thread.join(timeout=300)
        left = [pending.get_nowait() for pending in (self.ready, self.used) for _ in range(pending.qsize())]
        if left:
            subprocess.Popen(
                [sys.executable, "-m", "tests.support.databases", *left],
                cwd=Path(__file__).resolve().parents[2],
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def _work(self) -> None:
        while not self.stopping:
            self.wake.clear()
            try:
                if self.ready.qsize() < self.ahead:
                    self.ready.put(fresh_pg_database(self.template))
                    continue
                if not self.used.empty():
                    drop_pg_database(self.used.get_nowait())
                    continue
            except Exception as exc:
                self.failure = exc
            self.wake.wait(timeout=0.5)


class SqliteTemplate:
    """One migrated SQLite file per test process; each test gets a copy."""

    def __init__(self, folder: Path, upgrade, dispose):
        self.path = folder / "template.db"
        url = f"sqlite:///{self.path}"
        upgrade(url)
        dispose(url)  # closed, so the write-ahead log is folded into the one file copied
        assert not Path(f"{self.path}-wal").exists(), "the template's WAL outlived its engine"

    def copy_to(self, path: Path) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.path, path)  # permission bits too: the files are private
        return f"sqlite:///{path}"


if __name__ == "__main__":  # PgPool.close's dropper: python -m tests.support.databases URL…
    for leftover in sys.argv[1:]:
        drop_pg_database(leftover)
