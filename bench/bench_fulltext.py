"""Benchmark: the review queue's search at 1,000,000 mentions in PostgreSQL, full-text (issue 21)
beside today's case-folded substring scan, in the same run. Run by hand:
``python bench/bench_fulltext.py [--mentions 1000000] [--reviewers 20] [--seconds 60]``.

The data is ``bench_review``'s (``INSERT … SELECT generate_series``), with Russian words in the
text and an inflected surname (Воронцова, Воронцову, Воронцовым …) in one mention in a thousand.
Each of ``--reviewers`` threads asks for the queue's first page (``monitor.review.cards.list_cards``,
the unreviewed state, 50 cards) with a search from ``SEARCHES`` — a rare inflected name, common
words in both languages, a phrase, an exclusion — then reads for ``--think`` seconds on average
(0.5–1.5x). Two phases of ``--seconds`` each: the full-text condition (``monitor.core.storage.fulltext``),
then the substring scan the queue used before (``monitor.core.textsearch.contains`` on title or
text: ``strpos(lower(…))``, what ``ILIKE '%…%'`` costs, with every script folded). Prints
p50/p95/p99 per search and overall; the target is p95 ≤ 150 ms. ``--reuse`` keeps the data.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_review

from monitor.core import textsearch
from monitor.review import cards

DB_NAME = "monitor_bench_fulltext"
RUSSIAN = "'суд','приговор','арест','апелляция','адвокат','СИЗО','заседание','письмо','поддержка','протест'"
SEARCHES = ("Воронцов", "court", "суд", '"report number"', "court -prison", "апелляция адвокат", "заседания")


def generate() -> list[str]:
    """``bench_review.GENERATE`` with Russian words and a rare inflected name in the text."""
    words = (
        f"' ' || (ARRAY[{RUSSIAN}])[1 + (hashint4(g * 13) & 2147483647) % 10] || ' ' || "
        f"(ARRAY[{RUSSIAN}])[1 + (hashint4(g * 17) & 2147483647) % 10] || "
        "CASE WHEN g % 1000 = 0 THEN ' ' || (ARRAY['Воронцова','Воронцову','Воронцовым','Воронцове'])[1 + g / 1000 % 4] "
        "ELSE '' END || ' report number '"
    )
    statements = [s.replace("' report number '", words) for s in bench_review.GENERATE]
    # After a bulk load, as autovacuum would do soon after: merge the GIN index's pending list.
    statements.append("VACUUM ANALYZE mention")
    assert statements != bench_review.GENERATE, "bench_review's mention text changed: update generate()"
    return statements


class _Substring:
    """Stands in for ``monitor.core.storage.fulltext`` in the queue: the search as it was before issue 21."""

    @staticmethod
    def matches(session, query):
        return sa.or_(textsearch.contains(cards.Mention.title, query), textsearch.contains(cards.Mention.text, query))


def reviewer(engine: sa.Engine, seconds: float, think: float, seed: int, results: list) -> None:
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, think))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        query = rng.choice(SEARCHES)
        started = time.perf_counter()
        with Session(engine) as session:
            cards.list_cards(session, filters=cards.Filters(q=query), limit=50)
        results.append((query, (time.perf_counter() - started) * 1000))
        time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def database_times(engine: sa.Engine, runs: int = 3) -> dict[str, float]:
    """Per search, the median server-side execution time of the queue page's query (EXPLAIN
    ANALYZE), one at a time: the search's own cost, apart from the page's Python and the load."""
    times = {}
    with Session(engine) as session:
        for query in SEARCHES:
            columns = sa.select(cards.Mention.id).join(cards.Source, cards.Source.id == cards.Mention.source_id)
            statement = cards._representative(cards._where(columns, cards.Filters(q=query), session))
            statement = statement.order_by(cards.Mention.at.desc(), cards.Mention.id.desc()).limit(51)
            sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
            found = []
            for _ in range(runs):
                plan = [row[0] for row in session.execute(sa.text("EXPLAIN (ANALYZE) " + sql.replace(":", r"\:")))]
                found.append(float(re.search(r"Execution Time: ([0-9.]+)", plan[-1]).group(1)))
            times[query] = statistics.median(found)
    return times


def run_phase(engine: sa.Engine, reviewers: int, seconds: float, think: float) -> list[tuple[str, float]]:
    results: list[tuple[str, float]] = []
    threads = [threading.Thread(target=reviewer, args=(engine, seconds, think, n, results)) for n in range(reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=bench_review.DEFAULT_ADMIN_URL)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=bench_review.DEFAULT_THINK)
    parser.add_argument("--reuse", action="store_true", help="use the existing bench database as it is")
    args = parser.parse_args()
    if args.reuse:
        url = sa.engine.make_url(args.admin_url).set(database=DB_NAME).render_as_string(hide_password=False)
    else:
        bench_review.GENERATE[:] = generate()
        url = bench_review.create_database(args.admin_url, args.mentions, DB_NAME)
    engine = sa.create_engine(url, pool_size=args.reviewers, max_overflow=0)
    print(f"{bench_review._count_mentions(url):,} mentions; {args.reviewers} reviewers; {args.seconds:.0f} s per phase")
    fulltext = cards.fulltext
    try:
        for title, module in (
            ("full-text (tsvector, GIN)", fulltext),
            ("before: substring scan (strpos(lower(…)))", _Substring),
        ):
            cards.fulltext = module
            for query, ms in database_times(engine).items():
                print(f"database time of the first page, {query!r}: {ms:.1f} ms", flush=True)
            results = run_phase(engine, args.reviewers, args.seconds, args.think)
            bench_review.report(
                f"{title}, {args.reviewers} reviewers reading {args.think:.1f} s between searches",
                results,
                args.seconds,
            )
            # The machine's load: on a shared small machine, queueing for a CPU is part of every figure.
            print("load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    finally:
        cards.fulltext = fulltext
        engine.dispose()


if __name__ == "__main__":
    main()
