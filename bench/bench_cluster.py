"""Cluster lookup cost against a stored archive of 100,000 and 1,000,000 mentions on PostgreSQL.

Run by hand: ``.venv/bin/python bench/bench_cluster.py [--sizes 100000 1000000] [--new 1000]``
(``--keep`` leaves the archive databases in place and prints their URLs; ``--database URL``
measures again against a kept archive instead of building one).

For each size, a fresh PostgreSQL database (migrated to head) is filled with an archive:

* ``STORIES`` real stories (generated text of ~120 words), stored through ``save_many`` so
  their clusters, signatures and LSH bands are what production writes;
* the rest bulk-loaded by ``COPY``: one mention and one cluster each, with the signature and
  the band rows of a real fingerprint of its own generated text (unrelated stories from one
  vocabulary: their chance band collisions are part of the cost).

Then ``--new`` mentions arrive one at a time, each in its own transaction through
``save_many``: half are edited copies of archived stories (they must join them), half are new
stories. Reported per new mention:

* ``cluster``: the cluster lookup itself, insert + query (``assign_clusters``: lock, band and
  key lookup, candidate check, new cluster, new bands), median and 95th percentile;
* ``stored``: the whole ``save_many`` + commit (mention, sighting, cluster, people, fsync);
* the same two when the writer stores 50 mentions per transaction, as the poller does.

Target: cluster lookup ≤ 2 ms per mention at 1M, growing less than 2× from 100k to 1M.

Figures of 2026-11-24 (2 shared cores under load 3-6, PostgreSQL 15 with 128 MB shared
buffers; medians of five alternating rounds against the same kept archives, ms per mention):

                                            100k old  100k new   1M old   1M new
  cluster lookup, one per transaction         1.66      0.46       2.24     0.58
  cluster lookup, 50 per transaction          0.50      0.11       1.13     0.22
  stored + committed, one per transaction     3.45      2.31       4.37     2.58
  stored + committed, 50 per transaction      0.72      0.27       1.38     0.40

"old": 32 two-value bands keyed (band number, hash) with a foreign key and a second index,
six statements per call; "new": 16 one-value bigint bands, no foreign key, two round trips.
Fingerprinting (Python) adds 0.13 ms per mention; an empty durable write costs 0.3-0.5 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

import monitor.core.storage
from monitor.core import db
from monitor.core.models import Mention, Source
from monitor.core.storage import NewMention, save_many
from monitor.dedupe import fingerprint

PG_ADMIN = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STORIES = 2000
CHUNK = 50_000
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
VOCABULARY = [f"w{i}" for i in range(5000)]
FINGERPRINT_MS: list[float] = []  # per mention, each time ``arrivals`` runs


def story_text(rng: random.Random) -> str:
    return " ".join(rng.choices(VOCABULARY, k=120)) + " Vladimir Vorontsov"


def edited(text: str) -> str:
    words = text.split()
    cut = words[: int(len(words) * 0.8)]  # a trimmed last paragraph
    return "Reposted: " + " ".join(cut) + " Read more at Outlet News. Subscribe to our channel."


def mention(guid: str, title: str, text: str) -> NewMention:
    url = f"https://bench.example/{guid}"
    return NewMention(
        guid=guid, url=url, canonical_url=url, title=title, text=text, author=None, published_at=NOW, people={}
    )


class Timed:
    """Wraps ``assign_clusters`` where ``save_many`` calls it, adding up the time spent inside."""

    def __init__(self):
        self.inner, self.total = monitor.core.storage.assign_clusters, 0.0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.total += time.perf_counter() - start


def fresh_database() -> str:
    name = f"monitor_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    return url


def drop_database(url: str) -> None:
    db.get_engine(url).dispose()
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)')


def build(url: str, size: int) -> None:
    """The archive: ``STORIES`` stories through ``save_many``, the rest by COPY."""
    rng = random.Random(size)
    with db.session_scope(url) as session:
        source = Source(url="https://bench.example/feed", name="bench")
        session.add(source)
        session.flush()
        source_id = source.id
    texts = [story_text(rng) for _ in range(STORIES)]
    for start in range(0, STORIES, 200):
        with db.session_scope(url) as session:
            batch = [mention(f"story-{i}", f"Story {i}", texts[i]) for i in range(start, min(start + 200, STORIES))]
            save_many(session, batches=[(source_id, batch)], now=NOW)
    load_filler(url, source_id, size - STORIES, rng)


def load_filler(url: str, source_id: int, count: int, rng: random.Random) -> None:
    """``count`` mentions, clusters and their band rows by COPY, in chunks."""
    raw = db.get_engine(url).raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT coalesce(max(id), 0) FROM cluster")
        first = cursor.fetchone()[0] + 1
        for start in range(0, count, CHUNK):
            ids = range(first + start, first + min(count, start + CHUNK))
            prints = [fingerprint("", story_text(rng)) for _ in ids]
            _copy(
                cursor,
                "cluster (id, key, created_at, signature, shingles)",
                (
                    f"{i}\t{fp.exact_key}\t2026-11-20 12:00:00+00\t\\\\x{fp.signature.hex()}\t{fp.shingles}\n"
                    for i, fp in zip(ids, prints)
                ),
            )
            _copy(
                cursor,
                "mention (source_id, guid, canonical_url, title, text, fetched_at, cluster_id, status)",
                (
                    f"{source_id}\tfill-{i}\thttps://fill.example/{i}\tFiller {i}\tfiller text\t2026-11-20 12:00:00+00\t{i}\tnew\n"
                    for i in ids
                ),
            )
            owners = {}
            for i, fp in zip(ids, prints):
                for band in fp.bands():
                    owners.setdefault(band, i)
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS band_load (band bigint, cluster_id integer)")
            _copy(cursor, "band_load", (f"{band}\t{i}\n" for band, i in owners.items()))
            cursor.execute("INSERT INTO clusterband SELECT * FROM band_load ON CONFLICT DO NOTHING; TRUNCATE band_load")
            raw.commit()
            print(f"  filler {start + len(ids):,}/{count:,}", flush=True)
        cursor.execute("SELECT setval('cluster_id_seq', (SELECT max(id) FROM cluster))")
        raw.commit()
    finally:
        raw.close()
    # The archive as autovacuum keeps it: hint bits and the visibility map set.
    with db.get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def _copy(cursor, target: str, lines) -> None:
    buffer = io.StringIO("".join(lines))
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def arrivals(url: str, new: int, rng: random.Random, label: str) -> list[tuple[NewMention, str | None]]:
    """``new`` mentions: even ones edited copies of an archived story (its guid), odd ones new.

    Each carries its fingerprint, computed here (and timed: ``FINGERPRINT_MS``), so that the
    measurements below are the database's part alone.
    """
    with db.session_scope(url) as session:
        stories = dict(session.execute(sa.select(Mention.guid, Mention.text).where(Mention.guid.like("story-%"))).all())
    guids = sorted(stories)
    items = []
    for n in range(new):
        original = rng.choice(guids) if n % 2 == 0 else None
        text = edited(stories[original]) if original else story_text(rng)
        items.append((mention(f"{label}-{n}", "", text), original))
    start = time.perf_counter()
    for item, _ in items:
        item.fingerprint = fingerprint(item.title, item.text)
    FINGERPRINT_MS.append((time.perf_counter() - start) * 1000 / new)
    return items


def commit_cost(url: str, times: int = 200) -> float:
    """Milliseconds of the smallest durable write: one upserted row and its commit (the fsync)."""
    timings = []
    for _ in range(times):
        start = time.perf_counter()
        with db.get_engine(url).begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO heartbeat (name, beat_at) VALUES ('bench', now())"
                " ON CONFLICT (name) DO UPDATE SET beat_at = now()"
            )
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def measure(url: str, source_id: int, items: list, size: int, timed: Timed) -> dict:
    """Per-mention costs when ``items`` are stored ``size`` per transaction."""
    stored, cluster = [], []
    for first in range(0, len(items), size):
        batch = [m for m, _ in items[first : first + size]]
        timed.total = 0.0
        start = time.perf_counter()
        with db.session_scope(url) as session:
            save_many(session, batches=[(source_id, batch)], now=NOW)
        stored.append((time.perf_counter() - start) * 1000 / len(batch))
        cluster.append(timed.total * 1000 / len(batch))
    stored.sort(), cluster.sort()
    return {
        "cluster": statistics.median(cluster),
        "cluster_p95": cluster[int(len(cluster) * 0.95)],
        "stored": statistics.median(stored),
        "stored_p95": stored[int(len(stored) * 0.95)],
    }


def joined(url: str, items: list) -> str:
    """How many copies landed in their original's cluster."""
    pairs = [(m.guid, original) for m, original in items if original]
    with db.session_scope(url) as session:
        clusters = dict(
            session.execute(
                sa.select(Mention.guid, Mention.cluster_id).where(Mention.guid.in_([g for pair in pairs for g in pair]))
            ).all()
        )
    return f"{sum(clusters[copy] == clusters[original] for copy, original in pairs)}/{len(pairs)}"


def run(url: str, new: int) -> dict:
    timed = Timed()
    monitor.core.storage.assign_clusters = timed
    with db.session_scope(url) as session:
        source_id = session.execute(sa.select(Source.id).where(Source.name == "bench")).scalar_one()
        archive = session.execute(sa.select(sa.func.count()).select_from(Mention)).scalar_one()
    run_id, rng = uuid.uuid4().hex[:6], random.Random(new)
    measure(url, source_id, arrivals(url, 50, rng, f"warm-{run_id}"), 1, timed)  # caches and connection pool
    single, batched = arrivals(url, new, rng, f"one-{run_id}"), arrivals(url, new, rng, f"many-{run_id}")
    result = {
        "archive": archive,
        "one": measure(url, source_id, single, 1, timed),
        "batch": measure(url, source_id, batched, 50, timed),
        "fingerprint": statistics.median(FINGERPRINT_MS),
        "commit": commit_cost(url),
    }
    result["joined"] = f"{joined(url, single)} one by one, {joined(url, batched)} in batches"
    return result


def report(result: dict) -> None:
    one, batch = result["one"], result["batch"]
    print(
        f"archive {result['archive']:,} mentions: copies joined {result['joined']}\n"
        f"  one per transaction: cluster lookup {one['cluster']:.2f} ms (p95 {one['cluster_p95']:.2f}),"
        f" stored + committed {one['stored']:.2f} ms (p95 {one['stored_p95']:.2f})\n"
        f"  50 per transaction:  cluster lookup {batch['cluster']:.2f} ms per mention,"
        f" stored + committed {batch['stored']:.2f} ms per mention\n"
        f"  for scale: fingerprint (MinHash, in Python, before storing) {result['fingerprint']:.2f} ms per mention;"
        f" an empty durable write (one row, commit) {result['commit']:.2f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="leave the archive databases in place")
    parser.add_argument("--database", nargs="+", default=[], help="measure against kept archives instead")
    args = parser.parse_args()
    results = {}
    for url in args.database:
        results[url] = run(url, args.new)
        report(results[url])
    for size in [] if args.database else args.sizes:
        print(f"building an archive of {size:,}:", flush=True)
        url, started = fresh_database(), time.perf_counter()
        try:
            build(url, size)
            print(f"  built in {time.perf_counter() - started:.0f} s" + (f": {url}" if args.keep else ""), flush=True)
            results[url] = run(url, args.new)
            report(results[url])
        finally:
            if not args.keep:
                drop_database(url)
    if len(results) > 1:
        small, large = sorted(results.values(), key=lambda r: r["archive"])[:: len(results) - 1]
        print(
            f"growth {small['archive']:,} → {large['archive']:,}: cluster lookup"
            f" {large['one']['cluster'] / small['one']['cluster']:.2f}× one by one,"
            f" {large['batch']['cluster'] / small['batch']['cluster']:.2f}× in batches"
        )


if __name__ == "__main__":
    main()
