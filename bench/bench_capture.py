"""The poll benchmark with evidence capture off and on in the same run, and the store's size.

Run by hand: ``.venv/bin/python bench/bench_capture.py [--feeds 300] [--items 20] [--people 200] [--rounds 2]``.

Serves the feeds of ``bench_poll`` (50 loopback hosts, half the items name a tracked person)
and polls them for a first cycle into two fresh databases, one with
``MONITOR_EVIDENCE_CAPTURE=false`` and one with it on, alternating over ``--rounds`` so both
see the same machine load; the best time of each is compared (target: capture costs at most
15% of first-cycle throughput). Then it reports the evidence store's bytes per 1,000 stored
mentions: after the first cycle, after a second cycle of unchanged feeds (nothing new is kept),
after a cycle where every feed's body changed but names nobody new (unmatched responses), and
after the retention has deleted those (``prune_unmatched`` at now + the retention).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_poll


def store_bytes(root: Path) -> tuple[int, int]:
    """(bytes, files) of the blobs under ``root``."""
    files = [p for p in root.glob("??/*") if p.is_file()] if root.is_dir() else []
    return sum(p.stat().st_size for p in files), len(files)


def one_cycle(args, port: int, capture: bool) -> dict:
    """A first cycle into a fresh database with capture on or off; its figures."""
    from sqlmodel import func, select

    from monitor.core import db
    from monitor.core.models import Mention, Source

    with tempfile.TemporaryDirectory() as tmp:
        url = bench_poll.database_url(Path(tmp))
        try:
            os.environ["MONITOR_EVIDENCE_CAPTURE"] = "true" if capture else "false"
            bench_poll.configure(url, Path(tmp), port, args.feeds)
            with db.session_scope(url) as session:
                ids = list(session.exec(select(Source.id).order_by(Source.id)))
            bench_poll.warm(url)
            seconds, items, errors = bench_poll.cycle(ids)
            with db.session_scope(url) as session:
                stored = session.exec(select(func.count()).select_from(Mention)).one()
            figures = {"seconds": seconds, "items": items, "errors": errors, "mentions": stored}
            if capture:
                figures["store"] = store_figures(url, Path(tmp), ids, stored)
            return figures
        finally:
            bench_poll.drop_database(url)


def store_figures(url: str, workdir: Path, ids: list[int], mentions: int) -> list[tuple[str, int, int]]:
    """The store's size after the first cycle, an unchanged cycle, a changed unmatched cycle, and retention."""
    from sqlmodel import select

    from monitor.core import db
    from monitor.core.models import Source, utcnow
    from monitor.core.settings import get_settings
    from monitor.evidence.retention import prune_unmatched

    root = workdir / "data" / "evidence"
    steps = [("first cycle", *store_bytes(root))]
    bench_poll.cycle(ids)
    steps.append(("+ unchanged cycle", *store_bytes(root)))
    with db.session_scope(url) as session:  # every body "changed": the next cycle re-reads and keeps each response
        for source in session.exec(select(Source)):
            source.etag, source.body_hash = None, None
    bench_poll.cycle(ids)
    steps.append(("+ re-read cycle, no new mention", *store_bytes(root)))
    get_settings.cache_clear()
    settings = get_settings()
    later = utcnow() + timedelta(days=settings.evidence_unmatched_days, minutes=1)
    with db.session_scope(url) as session:
        while prune_unmatched(session, settings=settings, now=later):
            pass
    steps.append(("after retention", *store_bytes(root)))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    bench_poll.watch(args.people)
    port = 18000 + os.getpid() % 1000
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=bench_poll.serve, args=(port, args.feeds, args.items, ready), daemon=True)
    server.start()
    ready.wait(60)
    try:
        report(args, port)
    finally:
        server.terminate()


def report(args, port: int) -> None:
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(args.rounds):
        for capture in (False, True):
            runs[capture].append(one_cycle(args, port, capture))
    print(
        f"{args.feeds} feeds x {args.items} items, {args.people} people, {args.rounds} rounds; first cycle, best of each:"
    )
    best = {}
    for capture in (False, True):
        run = min(runs[capture], key=lambda r: r["seconds"])
        best[capture] = run["items"] / run["seconds"]
        print(
            f"  capture {'on ' if capture else 'off'}: {run['seconds']:6.2f} s  {best[capture]:7.0f} items/s  "
            f"({run['mentions']} mentions, {run['errors']} errors; all: "
            f"{', '.join(format(r['seconds'], '.2f') for r in runs[capture])} s)"
        )
    median = {c: statistics.median(r["items"] / r["seconds"] for r in runs[c]) for c in (False, True)}
    print(
        f"capture costs {100 * (1 - best[True] / best[False]):.1f}% of first-cycle throughput, best against best; "
        f"{100 * (1 - median[True] / median[False]):.1f}% median against median (target <= 15%)"
    )
    mentions = runs[True][-1]["mentions"]
    print(f"evidence store ({mentions} mentions):")
    for step, size, files in runs[True][-1]["store"]:
        print(
            f"  {step:34s} {size / 1024:9.0f} KiB in {files:5d} files = {size * 1000 / max(mentions, 1) / 1024:8.1f} KiB per 1,000 mentions"
        )


if __name__ == "__main__":
    main()
