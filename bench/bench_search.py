"""Benchmark: the queue's case-folded search on SQLite, beside SQLite's own (ASCII-only) LIKE.

Run by hand: ``python bench/bench_search.py [--rows 100000] [--runs 5]``. A search scans the
text of every mention either way (no index serves ``%word%``); the question is what the Python
fold function registered on each SQLite connection (``monitor.core.textsearch``) costs over the
built-in ``LIKE``, which is fast and wrong for Cyrillic (``сизо`` never finds ``СИЗО``).
Prints both, per run and as the median, and how many rows each found (the naive one: none).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import sqlalchemy as sa

from monitor.core import textsearch as search

RARE, SHARE = "СИЗО", 0.01  # the word searched for, in one mention in a hundred
WORDS = ("суд", "арест", "court", "Hearing", "апелляция", "Воронцов", "protest", "приговор", "letter")


def _database(rows: int) -> tuple[sa.Engine, sa.Table]:
    engine = sa.create_engine("sqlite://")
    table = sa.Table(
        "mention",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("text", sa.Text),
    )
    table.create(engine)
    rng = random.Random(14)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {
                    "title": " ".join(rng.choices(WORDS, k=8)),
                    "text": " ".join(rng.choices(WORDS, k=60) + ([RARE] if rng.random() < SHARE else [])),
                }
                for _ in range(rows)
            ],
        )
    return engine, table


def _time(engine: sa.Engine, statement) -> tuple[float, int]:
    with engine.connect() as conn:
        start = time.perf_counter()
        found = len(conn.execute(statement).all())
        return time.perf_counter() - start, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine, table = _database(args.rows)
    query = "сизо"
    folded = sa.select(table.c.id).where(
        sa.or_(search.contains(table.c.title, query), search.contains(table.c.text, query))
    )
    naive = sa.select(table.c.id).where(sa.or_(table.c.title.ilike(f"%{query}%"), table.c.text.ilike(f"%{query}%")))
    times = {"folded": [], "naive LIKE": []}
    for run in range(args.runs):
        for name, statement in (("folded", folded), ("naive LIKE", naive)):
            seconds, found = _time(engine, statement)
            times[name].append(seconds)
            print(f"run {run + 1}: {name:10s} {seconds * 1000:8.1f} ms  {found} rows found")
    for name, values in times.items():
        print(f"median {name:10s} {statistics.median(values) * 1000:8.1f} ms over {args.rows} mentions")


if __name__ == "__main__":
    main()
