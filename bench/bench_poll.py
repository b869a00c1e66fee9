"""One poll cycle over many loopback feeds, then an unchanged cycle, beside a naive poller.

Run by hand: ``.venv/bin/python bench/bench_poll.py [--feeds 1000] [--items 20] [--naive-feeds 100]
[--people 1000]``.

* The feeds are served by an asyncio HTTP/1.1 server in another process on 50 loopback
  addresses (127.0.0.2 …), so per-host politeness works as it would across 50 sites
  (here: 2 requests at once and 50 ms between starts per host).
* Ours: ``monitor.ingest.poller.poll_sources`` over every source in two processes (as two
  worker processes would), storing into a fresh PostgreSQL database (SQLite when
  PostgreSQL is unreachable).
* Naive: one request after another with httpx, feedparser, one regex per alias, one
  INSERT per item, over ``--naive-feeds`` feeds (it is slow); its rate is per item.
* Both watch the same ``--people`` people (three spellings each; default 1,000, the scale
  of an OVD-Info-sized list and of the matching bench): the naive poller's regexes grow
  with the list, our one automaton does not. Ours runs as long-lived workers do, with
  the modules imported and the watch list's automaton built before the cycle; the
  build time is printed on its own.
Half of the items name a tracked person.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

PEOPLE: list[tuple[str, list[str]]] = []


def watch(people: int) -> None:
    PEOPLE[:] = [(f"Person{i} Surname{i}", [f"Персона{i} Фамилия{i}", f"Surname{i}"]) for i in range(people)]


HOSTS = [f"127.0.0.{i}" for i in range(2, 52)]
PG_ADMIN = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_feed(n: int, items: int, host: str, port: int) -> bytes:
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    entries = []
    for i in range(items):
        name = PEOPLE[(n + i) % len(PEOPLE)][0] if i % 2 == 0 else "nobody in particular"
        entries.append(
            f"<item><title>Story {n}-{i} about {name}</title><link>http://{host}:{port}/post/{n}/{i}</link>"
            f"<guid>http://{host}:{port}/post/{n}/{i}</guid><pubDate>{format_datetime(start + timedelta(seconds=i))}</pubDate>"
            f"<description><![CDATA[<p>Court hearing, {name} said, day {i}.</p><p>More text.</p>]]></description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>http://{host}:{port}/</link><description>d</description>{''.join(entries)}</channel></rss>"
    ).encode()


def serve(port: int, feeds: int, items: int, ready) -> None:
    """The feed server process: /feed/N answers 200 with an ETag, or 304 when it matches."""
    bodies = {f"/feed/{n}": make_feed(n, items, HOSTS[n % len(HOSTS)], port) for n in range(feeds)}

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                body = bodies.get(path, b"")
                etag = f'"{hash(body)}"'
                if f"If-None-Match: {etag}".lower().encode() in head.lower():
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n".encode())
                else:
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: {etag}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main():
        servers = [await asyncio.start_server(handle, host, port) for host in HOSTS]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def database_url(workdir: Path) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"bench_poll_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError:
        return f"sqlite:///{workdir}/bench.db"
    return sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import sqlalchemy as sa

    if url.startswith("postgresql"):
        with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)')


def configure(url: str, workdir: Path, port: int, feeds: int) -> None:
    lines = []
    for name, aliases in PEOPLE:
        lines += ["[[person]]", f'name = "{name}"', "aliases = [" + ", ".join(f'"{a}"' for a in aliases) + "]", ""]
    for n in range(feeds):
        lines += ["[[source]]", f'url = "http://{HOSTS[n % len(HOSTS)]}:{port}/feed/{n}"', ""]
    (workdir / "monitor.toml").write_text("\n".join(lines), encoding="utf-8")
    os.environ.update(
        MONITOR_DATABASE_URL=url,
        MONITOR_CONFIG=str(workdir / "monitor.toml"),
        MONITOR_DATA_DIR=str(workdir / "data"),
        MONITOR_ALLOW_PRIVATE_NETWORKS="true",
        MONITOR_HOST_CONCURRENCY="2",
        MONITOR_HOST_MIN_GAP_SECONDS="0.05",
        MONITOR_POLL_CONCURRENCY="64",
    )
    from monitor.core import db
    from monitor.core import storage as store
    from monitor.core.config_file import load_watchlist

    db.upgrade(url)
    with db.session_scope(url) as session:
        store.sync_watchlist(session, watchlist=load_watchlist(workdir / "monitor.toml"))


def warm(url: str) -> float:
    """Load what a running worker holds before its first poll (forked workers inherit it); the build time."""
    from monitor.core import db
    from monitor.core.storage import matcher_cache
    from monitor.ingest import language

    language.detect("a text long enough to load the language model")
    began = time.perf_counter()
    with db.session_scope(url) as session:
        matcher_cache.matcher_for(session)
    return time.perf_counter() - began


def _poll_share(ids: list[int]) -> tuple[int, int]:
    from monitor.core.settings import get_settings
    from monitor.ingest.poller import poll_many

    get_settings.cache_clear()
    results = poll_many(ids)
    return sum(r.fetched for r in results), sum(1 for r in results if r.error)


def cycle(ids: list[int], processes: int = 2) -> tuple[float, int, int]:
    """Poll every source once across ``processes`` worker processes; (seconds, items, errors)."""
    shares = [ids[i::processes] for i in range(processes)]
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        done = pool.map(_poll_share, shares)
    return time.perf_counter() - began, sum(d[0] for d in done), sum(d[1] for d in done)


def naive(urls: list[str], url: str, people: list[tuple[str, list[str]]], table: str) -> tuple[float, int]:
    """The baseline: sequential httpx + feedparser + one regex per alias + one INSERT per item."""
    import feedparser
    import httpx
    import sqlalchemy as sa

    patterns = [(name, re.compile(rf"\b{re.escape(a)}\b", re.I)) for name, aliases in people for a in [name, *aliases]]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        key = "SERIAL" if url.startswith("postgresql") else "INTEGER"
        conn.exec_driver_sql(f"CREATE TABLE {table} (id {key} PRIMARY KEY, guid TEXT UNIQUE, title TEXT, person TEXT)")
    items = 0
    began = time.perf_counter()
    with httpx.Client() as client:
        for feed_url in urls:
            parsed = feedparser.parse(client.get(feed_url).content)
            with engine.begin() as conn:
                for entry in parsed.entries:
                    items += 1
                    text = entry.title + " " + entry.get("summary", "")
                    for name in {name for name, pattern in patterns if pattern.search(text)}:
                        conn.execute(
                            sa.text(f"INSERT INTO {table} (guid, title, person) VALUES (:g, :t, :p)"),
                            {"g": entry.id + name, "t": entry.title, "p": name},
                        )
    engine.dispose()
    return time.perf_counter() - began, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--naive-feeds", type=int, default=100)
    parser.add_argument("--people", type=int, default=1000)
    args = parser.parse_args()
    watch(args.people)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    port = 18000 + os.getpid() % 1000
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, args.feeds, args.items, ready), daemon=True)
    server.start()
    ready.wait(60)
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(Path(tmp))
        try:
            report(args, url, Path(tmp), port)
        finally:
            drop_database(url)
            server.terminate()


def report(args, url: str, workdir: Path, port: int) -> None:
    from sqlmodel import func, select

    from monitor.core import db
    from monitor.core.models import Mention, Source

    configure(url, workdir, port, args.feeds)
    with db.session_scope(url) as session:
        ids = list(session.exec(select(Source.id).order_by(Source.id)))
    backend = url.split(":", 1)[0]
    print(
        f"{args.feeds} feeds x {args.items} items on {len(HOSTS)} loopback hosts, {args.people} people, database {backend}"
    )
    print(f"watch-list automaton built once per worker in {warm(url):.2f} s")
    seconds, items, errors = cycle(ids)
    with db.session_scope(url) as session:
        stored = session.exec(select(func.count()).select_from(Mention)).one()
    print(
        f"ours, first cycle:     {seconds:6.2f} s  {items / seconds:8.0f} items/s  ({items} items, {stored} mentions stored, {errors} errors)"
    )
    again, _, errors2 = cycle(ids)
    print(f"ours, unchanged cycle: {again:6.2f} s  (target <= 10 s; {errors2} errors)")
    urls = [f"http://{HOSTS[n % len(HOSTS)]}:{port}/feed/{n}" for n in range(args.naive_feeds)]
    naive_seconds, naive_items = naive(urls, url, PEOPLE, "naive_mention")
    naive_rate = naive_items / naive_seconds
    print(f"naive sequential:      {naive_seconds:6.2f} s  {naive_rate:8.0f} items/s  (over {args.naive_feeds} feeds)")
    print(
        f"speed-up: {items / seconds / naive_rate:.1f}x naive per item (target >= 20x); "
        f"end to end {items / seconds:.0f} items/s (target >= 2000)"
    )
    if len(PEOPLE) > 10:
        small_seconds, small_items = naive(urls, url, PEOPLE[:10], "naive_mention_small")
        small_rate = small_items / small_seconds
        print(
            f"for reference, the naive poller watching only 10 people: {small_rate:.0f} items/s "
            f"({items / seconds / small_rate:.1f}x; its regexes are then cheap)"
        )


if __name__ == "__main__":
    main()
