"""How long a killed worker's sources wait before they are polled again, beside the old fixed lease.

Run by hand: ``.venv/bin/python bench/bench_recovery.py [--runs 3] [--scale 0.1] [--only ours]``.

Real parts: a Celery worker process, a redis-server of its own, PostgreSQL (a fresh
database). Each run claims one slow source through ``dispatch_due_sources``, SIGKILLs the
worker mid-fetch, starts a second worker and dispatches every ``dispatch interval`` as the
beat does, and times kill → the source's second fetch begins.

* ours: ``MONITOR_POLL_LEASE_SECONDS=90`` (the default), renewed by the running batch;
* baseline: a fixed lease that must outlast the longest batch without renewal — the old
  10 minutes (``600``).

Both with the default 60 s dispatch interval. ``--scale`` shrinks every one of those times
by the same factor (0.1: 9 s, 60 s and 6 s) so a run takes a minute, not ten; the
recovery is printed as measured and divided by the scale (the production figure).
Redis redelivery is pushed out (visibility timeout of an hour) so only the lease counts.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

PG_ADMIN = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DISPATCH_EVERY, OURS, BASELINE = 60.0, 90.0, 600.0


def _admin():
    return sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def fresh_database() -> str:
    name = f"bench_recovery_{uuid.uuid4().hex[:8]}"
    with _admin().connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    with _admin().connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)')


def one_run(lease: float, dispatch_every: float, workdir: Path) -> float:
    """Seconds from the SIGKILL of the worker polling the slow source to that source's next fetch."""
    from monitor.core import db
    from monitor.core import storage as store
    from monitor.core.config_file import load_watchlist
    from monitor.core.settings import get_settings
    from tests.fixtures import feeds
    from tests.support import stack
    from tests.support.feedserver import FeedServer, Route
    from tests.support.workers import private_redis

    url = fresh_database()
    started: list[float] = []
    try:
        with FeedServer({"/slow": Route(feeds.rss("http://s.example"))}) as server, private_redis() as (redis_url, _):
            answer = server._answer

            def slow(route, headers):
                started.append(time.monotonic())
                if len(started) == 1:
                    time.sleep(3600)  # the first fetch never finishes: its worker is killed meanwhile
                return answer(route, headers)

            server._answer = slow
            config = workdir / "monitor.toml"
            config.write_text(feeds.config([server.url("/slow")]), encoding="utf-8")
            env = dict(
                os.environ,
                MONITOR_DATABASE_URL=url,
                MONITOR_CONFIG=str(config),
                MONITOR_DATA_DIR=str(workdir / "data"),
                MONITOR_BROKER_URL=redis_url,
                MONITOR_ALLOW_PRIVATE_NETWORKS="true",
                MONITOR_POLL_LEASE_SECONDS=str(lease),
                MONITOR_BROKER_VISIBILITY_TIMEOUT="3600",
                MONITOR_LOG_TASKS="false",
            )
            os.environ.update({k: env[k] for k in ("MONITOR_DATABASE_URL", "MONITOR_CONFIG", "MONITOR_BROKER_URL")})
            get_settings.cache_clear()
            db.upgrade(url)
            with db.session_scope() as session:
                store.sync_watchlist(session, watchlist=load_watchlist(config))
            from workers.app import create_app

            app = create_app()
            worker = stack.worker_command()
            with stack.running(worker + ["-n", "doomed@%h"], log=workdir / "doomed.log", env=env) as doomed:
                app.send_task("workers.tasks.dispatch_due_sources")
                stack.wait_for(lambda: started, timeout=60, what="the first fetch")
                time.sleep(1.0)
                os.killpg(doomed.pid, signal.SIGKILL)
                doomed.wait()
                killed = time.monotonic()
            with stack.running(worker + ["-n", "heir@%h"], log=workdir / "heir.log", env=env):
                while len(started) < 2:  # the beat's part: a dispatch every interval
                    app.send_task("workers.tasks.dispatch_due_sources")
                    _wait(lambda: len(started) >= 2, dispatch_every)
            return started[1] - killed
    finally:
        db.get_engine(url).dispose()
        drop_database(url)


def _wait(done, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.1)


def _missing_servers() -> str | None:
    """Why this bench cannot run here (no redis-server binary, PostgreSQL unreachable), or None."""
    import shutil

    if not shutil.which("redis-server"):
        return "redis-server is not installed"
    try:
        with _admin().connect():
            return None
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL is not reachable: {str(exc).splitlines()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--only", choices=("ours", "baseline"), help="run one side only (e.g. ours at --scale 1)")
    args = parser.parse_args()
    missing = _missing_servers()
    if missing:
        print(f"bench_recovery skipped: {missing}")
        return
    dispatch = DISPATCH_EVERY * args.scale
    print(
        f"scale {args.scale}: dispatch every {dispatch:.1f} s; lease ours {OURS * args.scale:.1f} s (renewed), "
        f"baseline {BASELINE * args.scale:.1f} s (fixed)"
    )
    results: dict[str, list[float]] = {"ours": [], "baseline": []}
    for run in range(args.runs):
        for name, lease in (("ours", OURS), ("baseline", BASELINE)):
            if args.only and name != args.only:
                continue
            with tempfile.TemporaryDirectory() as workdir:
                seconds = one_run(lease * args.scale, dispatch, Path(workdir))
            results[name].append(seconds)
            print(
                f"run {run + 1} {name:8}: recovered in {seconds:6.1f} s  (production scale {seconds / args.scale:6.0f} s)"
            )
    for name, times in ((n, t) for n, t in results.items() if t):
        print(
            f"{name:8}: median {statistics.median(times):6.1f} s, max {max(times):6.1f} s  "
            f"(production scale: median {statistics.median(times) / args.scale:5.0f} s, max {max(times) / args.scale:5.0f} s)"
        )


if __name__ == "__main__":
    main()
