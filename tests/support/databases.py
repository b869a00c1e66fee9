"""Fresh databases for the tests, made cheaply.

Migrating a database takes about a second on this machine, and so does creating and dropping a
PostgreSQL one (DROP DATABASE waits for a checkpoint). Each test still gets a database of its
own, but:

* SQLite: the migrations run once per test process into a template file that each test copies.
* PostgreSQL: the migrations run once into a template database; copies of it are made *ahead*
  of need, on a thread of the pool's own, and a used copy is emptied back to the template's
  state (``pg_reset``) for a later test instead of being dropped, so a test waits for neither.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa

from tests.support import pg_reset

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
    """Copies of the template made ahead, used ones emptied back to the template's state
    (``pg_reset``) and handed out again, on one thread; a copy that cannot be reset is dropped
    on a thread of its own (a drop waits for a checkpoint, seconds in a busy run).

    Every test gets its database under a URL of its own (``application_name`` differs), so
    that nothing a process keeps per URL (engines, the web's menus) outlives the test."""

    def __init__(self, template: str, ahead: int = READY_AHEAD):
        self.template = template
        self.ahead = ahead
        self.reset: pg_reset.Reset | None = pg_reset.Reset(pg_url(template))
        self.ready: queue.Queue[str] = queue.Queue()
        self.used: queue.Queue[str] = queue.Queue()
        self.doomed: queue.Queue[str | None] = queue.Queue()
        self.wake = threading.Event()
        self.stopping = False
        self.failure: Exception | None = None
        self.uses = itertools.count(1)
        self.thread = threading.Thread(target=self._work, name="pg-pool", daemon=True)
        self.dropper = threading.Thread(target=self._drop, name="pg-pool-drop", daemon=True)
        self.thread.start()
        self.dropper.start()

    def take(self) -> str:
        try:
            url = self.ready.get(timeout=120)
        except queue.Empty:
            raise RuntimeError(f"no PostgreSQL database was made in 120 s: {self.failure!r}") from None
        finally:
            self.wake.set()
        named = sa.engine.make_url(url).update_query_dict({"application_name": f"test-{os.getpid()}-{next(self.uses)}"})
        return named.render_as_string(hide_password=False)

    def give_back(self, url: str) -> None:
        base = sa.engine.make_url(url).difference_update_query(["application_name"])
        self.used.put(base.render_as_string(hide_password=False))
        self.wake.set()

    def close(self) -> None:
        """Stop the threads; the databases left are dropped later (``drop_later``)."""
        self.stopping = True
        self.wake.set()
        self.doomed.put(None)
        self.thread.join(timeout=300)
        self.dropper.join(timeout=300)
        drop_later([url for pending in (self.ready, self.used, self.doomed) for url in _drain(pending) if url])

    def _work(self) -> None:
        while not self.stopping:
            self.wake.clear()
            try:
                if not self.used.empty():
                    self._recycle(self.used.get_nowait())
                    continue
                if self.ready.qsize() < self.ahead:
                    self.ready.put(fresh_pg_database(self.template))
                    continue
            except Exception as exc:
                self.failure = exc
            self.wake.wait(timeout=0.5)

    def _recycle(self, url: str) -> None:
        """Ready again if the reset took; else dropped (and, when emptying is not allowed
        here, no more resets tried)."""
        try:
            _disconnect_others(url)
            if self.reset and self.reset.apply(url):
                self.ready.put(url)
                return
        except Exception as exc:  # whatever went wrong, the copy is not handed out again
            if "session_replication_role" in str(exc):
                self.reset = None
        self.doomed.put(url)

    def _drop(self) -> None:
        while (url := self.doomed.get()) is not None:
            try:
                drop_pg_database(url)
            except Exception as exc:
                self.failure = exc


def _disconnect_others(url: str) -> None:
    """End every session on the database of ``url`` (what DROP DATABASE … WITH (FORCE) did)."""
    name = sa.engine.make_url(url).database
    with pg_admin_engine().connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


def drop_later(urls: list[str]) -> None:
    """Drop the databases of ``urls`` in a process of their own, which outlives the run: at the
    end of a run each drop waits for a checkpoint that nobody needs to wait for."""
    if urls:
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.databases", *urls],
            cwd=Path(__file__).resolve().parents[2],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _drain(pending: queue.Queue) -> list:
    return [pending.get_nowait() for _ in range(pending.qsize())]


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


if __name__ == "__main__":  # drop_later's dropper: python -m tests.support.databases URL…
    for leftover in sys.argv[1:]:
        drop_pg_database(leftover)
