"""Benchmark building digests: 100 recipients, 1,000 people, 1M mentions in PostgreSQL (run by hand).

    .venv/bin/python bench/bench_digest.py [--mentions 1000000] [--keep]

Creates a fresh database next to ``MONITOR_TEST_DATABASE_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test, used as admin), migrates it, fills it
with ``generate_series`` INSERT … SELECT (60 days of mentions, skewed towards a few
people, a fifth naming a second person, stories of about three copies, 5 % solidarity
posts), then times building and rendering every recipient's digest for the last day, and
a full ``send_digests`` run into the outbox. Target: ≤ 10 s for the build. Drops the
database afterwards unless ``--keep``. Exits 0 with a message when PostgreSQL is unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DAY = date(2026, 11, 22)
DAYS = 60
PEOPLE = 1000
SOURCES = 50
RECIPIENTS = 100
TARGET_SECONDS = 10.0


def main() -> int:
    args = _arguments()
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"bench_digest_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        print(f"skipped: PostgreSQL is not reachable at {ADMIN_URL}: {str(exc).splitlines()[0]}")
        return 0
    url = sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        return _run(url, args.mentions)
    finally:
        if not args.keep:
            from monitor.core.db import get_engine

            get_engine(url).dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def _run(url: str, mentions: int) -> int:
    data = Path(tempfile.mkdtemp(prefix="bench_digest_"))
    os.environ.update(MONITOR_DATABASE_URL=url, MONITOR_DATA_DIR=str(data), MONITOR_SECRET_KEY="bench")
    os.environ.pop("MONITOR_SMTP_URL", None)
    from monitor.core import db
    from monitor.core.settings import get_settings

    get_settings.cache_clear()
    db.upgrade(url)
    started = time.perf_counter()
    _fill(db.get_engine(url), mentions)
    print(
        f"data: {mentions:,} mentions, {PEOPLE:,} people, {RECIPIENTS} recipients in "
        f"{time.perf_counter() - started:.1f} s"
    )
    build = _time_build()
    send = _time_send(data)
    verdict = "OK" if build <= TARGET_SECONDS else "TOO SLOW"
    print(f"build + render {RECIPIENTS} digests: {build:.2f} s (target ≤ {TARGET_SECONDS:g} s): {verdict}")
    print(f"send_digests to the outbox (claims, build, render, write): {send:.2f} s")
    return 0 if build <= TARGET_SECONDS else 1


def _fill(engine: sa.Engine, mentions: int) -> None:
    end = datetime.combine(DAY + timedelta(days=1), datetime.min.time(), tzinfo=timezone(timedelta(hours=3)))
    statements = [
        f"INSERT INTO person (name, active) SELECT 'Person ' || g, true FROM generate_series(1, {PEOPLE}) g",
        f"""INSERT INTO source (url, name, kind, enabled, consecutive_failures)
            SELECT 'https://s' || g || '.example/feed', 'Source ' || g, 'rss', true, CASE WHEN g <= 2 THEN 3 ELSE 0 END
            FROM generate_series(1, {SOURCES}) g""",
        f"INSERT INTO cluster (key) SELECT 'story-' || g FROM generate_series(1, {mentions // 3}) g",
        f"""INSERT INTO mention (source_id, guid, url, title, text, published_at, fetched_at, cluster_id, status)
            SELECT 1 + g % {SOURCES}, 'g' || g, 'https://example.org/' || g, 'Story ' || (1 + g % {mentions // 3}),
                   CASE WHEN g % 20 = 0 THEN 'Solidarity with the accused' ELSE 'Court report number ' || g END,
                   at, at, 1 + g % {mentions // 3},
                   CASE g % 10 WHEN 0 THEN 'confirmed' WHEN 1 THEN 'dismissed' ELSE 'new' END
            FROM (SELECT g, TIMESTAMPTZ '{end.isoformat()}' - random() * INTERVAL '{DAYS} days' AS at
                  FROM generate_series(1, {mentions}) g) s""",
        f"""INSERT INTO mentionperson (mention_id, person_id, alias)
            SELECT id, 1 + floor({PEOPLE} * power(random(), 2))::int, 'alias' FROM mention""",
        f"""INSERT INTO mentionperson (mention_id, person_id, alias)
            SELECT id, 1 + floor({PEOPLE} * random())::int, 'alias' FROM mention WHERE id % 5 = 0
            ON CONFLICT DO NOTHING""",
        f"""INSERT INTO spike (person_id, hour, count, expected, score)
            SELECT g, date_trunc('hour', TIMESTAMPTZ '{end.isoformat()}' - g * INTERVAL '20 minutes'), 40, 3.5, 9
            FROM generate_series(1, 30) g""",
        f"""INSERT INTO recipient (email, people, active, timezone, origin)
            SELECT 'desk' || g || '@example.org',
                   CASE WHEN g % 5 = 0 THEN NULL
                        ELSE (SELECT json_agg('Person ' || (1 + (g * 37 + k * 101) % {PEOPLE}))
                              FROM generate_series(1, CASE WHEN g % 5 = 1 THEN 200 ELSE 20 END) k) END,
                   true, CASE WHEN g % 3 = 0 THEN 'America/New_York' END, 'config'
            FROM generate_series(1, {RECIPIENTS}) g""",
    ]
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement.replace("%", "%%"))  # psycopg reads % as a placeholder
            conn.commit()
    # What autovacuum does on a live database: statistics and the visibility map for index-only scans.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def _time_build() -> float:
    from monitor.core.config_file import DigestEntry
    from monitor.core.db import session_scope
    from monitor.core.models import utcnow
    from monitor.notify.digest import DigestBuilder, active_recipients, links, render_message, zone_of

    entry = DigestEntry(timezone="Europe/Moscow")
    recipients = active_recipients()
    started = time.perf_counter()
    with session_scope() as session:
        builder = DigestBuilder(session)
        digests = [builder.build(email=r.email, people=r.people, day=DAY, zone=zone_of(r, entry)) for r in recipients]
        queried = time.perf_counter() - started
        for r, content in zip(recipients, digests):
            render_message(links(content, recipient_id=r.id), now=utcnow())
    elapsed = time.perf_counter() - started
    mentions = sorted(d.mention_count for d in digests)
    print(
        f"  {len(digests)} digests over {len({d.zone for d in digests})} timezones; "
        f"queries {queried:.2f} s, rendering {elapsed - queried:.2f} s; "
        f"mentions per digest: min {mentions[0]:,}, median {mentions[len(mentions) // 2]:,}, max {mentions[-1]:,}"
    )
    return elapsed


def _time_send(data: Path) -> float:
    from monitor.core.config_file import DigestEntry
    from monitor.notify.digest import send_digests

    started = time.perf_counter()
    lines = send_digests(day=DAY, force=False, digest=DigestEntry(timezone="Europe/Moscow"))
    elapsed = time.perf_counter() - started
    written = len(list((data / "outbox").iterdir()))
    assert written == RECIPIENTS and all(": sent " in line for line in lines), lines[:3]
    return elapsed


if __name__ == "__main__":
    raise SystemExit(main())
