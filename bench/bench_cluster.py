"""Cluster lookup cost against a stored archive of 100,000 and 1,000,000 mentions on PostgreSQL.

Run by hand: ``.venv/bin/python bench/bench_cluster.py [--sizes 100000 1000000] [--new 1000]``.

For each size, a fresh PostgreSQL database (migrated to head) is filled with an archive:

* ``STORIES`` real stories (generated text of ~120 words), stored through ``save_many`` so
  their clusters, signatures and LSH bands are what production writes;
* the rest as bulk-loaded filler (``COPY``): one mention, one cluster and 32 band rows each,
  band hashes drawn at random — what unrelated stories look like to the band index — so
  ``clusterband`` holds 32 rows per archived mention, as it would.

Then ``--new`` mentions arrive one at a time, each in its own transaction through
``save_many`` (insert the mention, its sighting, look up and record the cluster, commit):
half are edited copies of archived stories (they must join them), half are new stories.
Reported: the median and 95th percentile per mention, how many copies joined their story,
and the cost per mention when the same kind of mentions are written 50 per transaction, as
the poller's writer does (one commit's fsync shared by the batch). Target: ≤ 2 ms per mention at 1M, growing less than 2× from 100k to 1M.
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

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from monitor import db  # noqa: E402
from monitor.models import Mention, Source  # noqa: E402
from monitor.store import NewMention, save_many  # noqa: E402

PG_ADMIN = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STORIES = 2000
BANDS = 32
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
VOCABULARY = [f"w{i}" for i in range(5000)]


def story_text(rng: random.Random) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(120)) + " Vladimir Vorontsov"


def edited(text: str, rng: random.Random) -> str:
    words = text.split()
    cut = words[: int(len(words) * 0.8)]  # a trimmed last paragraph
    return "Reposted: " + " ".join(cut) + " Read more at Outlet News. Subscribe to our channel."


def mention(guid: str, title: str, text: str) -> NewMention:
    url = f"https://bench.example/{guid}"
    return NewMention(guid=guid, url=url, canonical_url=url, title=title, text=text, author=None,
                      published_at=NOW, people={})


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


def load_stories(url: str, source_id: int, rng: random.Random) -> list[str]:
    texts = [story_text(rng) for _ in range(STORIES)]
    for start in range(0, STORIES, 200):
        with db.session_scope(url) as session:
            batch = [mention(f"story-{i}", f"Story {i}", texts[i]) for i in range(start, min(start + 200, STORIES))]
            save_many(session, batches=[(source_id, batch)], now=NOW)
    return texts


def load_filler(url: str, source_id: int, count: int) -> None:
    """``count`` mentions, clusters and band rows by COPY, in chunks."""
    rng = np.random.default_rng(7)
    raw = db.get_engine(url).raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT coalesce(max(id), 0) FROM cluster")
        first = cursor.fetchone()[0] + 1
        for start in range(0, count, 100_000):
            n = min(100_000, count - start)
            ids = np.arange(first + start, first + start + n)
            _copy(cursor, "cluster (id, key, created_at)", (f"{i}\tfill{i:058d}\t2026-11-20 12:00:00+00\n" for i in ids))
            _copy(cursor, "mention (source_id, guid, canonical_url, title, text, fetched_at, cluster_id, status)", (
                f"{source_id}\tfill-{i}\thttps://fill.example/{i}\tFiller {i}\tfiller text\t2026-11-20 12:00:00+00\t{i}\tnew\n"
                for i in ids
            ))
            hashes = rng.integers(-(2**63), 2**63 - 1, size=(n, BANDS), dtype=np.int64)
            _copy(cursor, "clusterband (band_no, band_hash, cluster_id)", (
                f"{b}\t{hashes[row, b]}\t{cid}\n" for row, cid in enumerate(ids) for b in range(BANDS)
            ))
            raw.commit()
            print(f"  filler {start + n:,}/{count:,}", flush=True)
        cursor.execute("SELECT setval('cluster_id_seq', (SELECT max(id) FROM cluster))")
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _copy(cursor, target: str, lines) -> None:
    buffer = io.StringIO("".join(lines))
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def measure(url: str, source_id: int, texts: list[str], new: int, rng: random.Random, label: str = "new") -> dict:
    timings, joined = [], 0
    for n in range(new):
        copy_of = rng.randrange(len(texts)) if n % 2 == 0 else None
        text = edited(texts[copy_of], rng) if copy_of is not None else story_text(rng)
        start = time.perf_counter()
        with db.session_scope(url) as session:
            save_many(session, batches=[(source_id, [mention(f"{label}-{n}", "", text)])], now=NOW)
        timings.append(time.perf_counter() - start)
        if copy_of is not None:
            with db.session_scope(url) as session:
                clusters = session.execute(sa.select(Mention.guid, Mention.cluster_id).where(
                    Mention.guid.in_([f"story-{copy_of}", f"{label}-{n}"]))).all()
            joined += len({c for _, c in clusters}) == 1
    timings.sort()
    return {
        "median_ms": statistics.median(timings) * 1000,
        "p95_ms": timings[int(len(timings) * 0.95)] * 1000,
        "copies_joined": f"{joined}/{(new + 1) // 2}",
    }


def measure_batched(url: str, source_id: int, texts: list[str], new: int, rng: random.Random, size: int = 50) -> float:
    """Milliseconds per mention when the writer stores ``size`` mentions per transaction, as the poller does."""
    items = []
    for n in range(new):
        text = edited(texts[rng.randrange(len(texts))], rng) if n % 2 == 0 else story_text(rng)
        items.append(mention(f"batch-{n}", "", text))
    start = time.perf_counter()
    for first in range(0, new, size):
        with db.session_scope(url) as session:
            save_many(session, batches=[(source_id, items[first : first + size])], now=NOW)
    return (time.perf_counter() - start) * 1000 / new


def run(size: int, new: int) -> dict:
    url = fresh_database()
    try:
        with db.session_scope(url) as session:
            source = Source(url="https://bench.example/feed", name="bench")
            session.add(source)
            session.flush()
            source_id = source.id
        rng = random.Random(size)
        started = time.perf_counter()
        texts = load_stories(url, source_id, rng)
        load_filler(url, source_id, size - STORIES)
        print(f"  archive of {size:,} loaded in {time.perf_counter() - started:.0f} s", flush=True)
        measure(url, source_id, texts, 50, rng, "warm")  # warm the caches and the connection pool
        result = measure(url, source_id, texts, new, rng)
        result["batched_ms"] = measure_batched(url, source_id, texts, new, rng)
        return result
    finally:
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--new", type=int, default=1000)
    args = parser.parse_args()
    results = {}
    for size in args.sizes:
        print(f"archive {size:,}:", flush=True)
        results[size] = run(size, args.new)
        print(f"  per new mention: median {results[size]['median_ms']:.2f} ms, p95 {results[size]['p95_ms']:.2f} ms,"
              f" copies joined {results[size]['copies_joined']}; in batches of 50:"
              f" {results[size]['batched_ms']:.2f} ms per mention", flush=True)
    if len(results) > 1:
        small, large = results[min(results)], results[max(results)]
        print(f"growth {min(results):,} → {max(results):,}: {large['median_ms'] / small['median_ms']:.2f}× (median)")


if __name__ == "__main__":
    main()
