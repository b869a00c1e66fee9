"""Benchmark the stream process (run by hand; never a timed test).

    .venv/bin/python bench/bench_stream.py [--rate 2000] [--seconds 20] [--people 1000] [--database-url URL]

A replay server (its own process, on another core when there is one) sends Jetstream
events at ``--rate`` posts/s for ``--seconds``, each stamped with the time it was due, so
a consumer that falls behind shows it as lag even when the socket throttles the sender.
The posts are bench_match's (about 300 characters, Russian and English, one in twenty
names one of the people). The consumer is the real one (``monitor.ingest.streams.jetstream``:
WebSocket, parse, match, store through ``store.save_many`` with the cursor), pinned to one
core, on a fresh SQLite file (or ``--database-url``) holding ``--people`` people.

It prints the sustained rate and the lag (now minus the event's due time, at the moment the
consumer took it: median, p99, max), then the same run with a naive matcher (one compiled
regex per alias, as bench_match's baseline) in place of the Aho-Corasick one, and the
ceiling of each (parse + match of the same frames, no network, no writes).
Target (issue 17): 2,000 posts/s against 1,000 people kept up with on one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
from bench_match import SEED, NaiveMatcher, make_people, make_posts  # noqa: E402

TICK = 0.005  # the replay sends what has come due every 5 ms


def frames(texts: list[str], rate: int, seconds: float, start: float):
    """(due time, Jetstream frame) for every post of the replay, texts cycled."""
    for i in range(int(rate * seconds)):
        due = start + i / rate
        yield (
            due,
            json.dumps(
                {
                    "did": "did:plc:bench",
                    "time_us": int(due * 1_000_000),
                    "kind": "commit",
                    "commit": {
                        "operation": "create",
                        "collection": "app.bsky.feed.post",
                        "rkey": f"b{i}",
                        "record": {"text": texts[i % len(texts)], "createdAt": "2026-12-01T00:00:00Z", "langs": ["ru"]},
                    },
                },
                ensure_ascii=False,
            ),
        )


def serve_replay(port_out, texts: list[str], rate: int, seconds: float) -> None:
    """The replay server's process: one connection at a time, each replayed from the start."""
    from websockets.asyncio.server import serve

    _pin(1)

    async def handler(connection):
        start = time.time() + 0.2
        for due, frame in frames(texts, rate, seconds, start):
            wait = due - time.time()
            if wait > TICK:
                await asyncio.sleep(wait)
            await connection.send(frame)
        await connection.wait_closed()

    async def main():
        async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
            port_out.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def _pin(index: int) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[index % len(cpus)]})


def prepare(url: str, people, port: int) -> None:
    """Migrate, and sync the people and a [stream.bluesky] pointed at the replay."""
    from monitor.core import db
    from monitor.core import storage as store
    from monitor.core.config_file import parse_watchlist

    db.upgrade(url)
    config = {
        "person": [{"name": p.name, "aliases": list(p.aliases)} for p in people],
        "stream": {"bluesky": {"url": f"ws://127.0.0.1:{port}/subscribe"}},
    }
    with db.session_scope(url) as session:
        store.sync_watchlist(session, watchlist=parse_watchlist(config, "bench"))


def consume(url: str, seconds: float, naive=None) -> dict:
    """Run the real Jetstream consumer for ``seconds``; lags (s) of every event and what was stored."""
    from sqlmodel import func, select

    from monitor.core import db
    from monitor.core.config_streams import StreamSpec
    from monitor.core.models import Mention, Source
    from monitor.core.settings import get_settings
    from monitor.core.storage import matcher_cache
    from monitor.ingest.streams import jetstream
    from monitor.ingest.streams.sink import Sink, warm_up

    lags: list[float] = []
    taken: list[float] = []

    class Timed(Sink):
        def add(self, event):
            now = time.time()
            lags.append(now - event.at.timestamp())
            taken.append(now)
            super().add(event)

        def people_in(self, item):
            if naive is None:
                return super().people_in(item)
            return {name: name for name in naive.people_in(item.text)}

    with db.session_scope(url) as session:
        source = session.exec(select(Source).where(Source.kind == "jetstream")).one()
        matcher = matcher_cache.matcher_for(session)
    sink = Timed(source.id, matcher)
    warm_up()  # as the stream process does before it connects
    spec = StreamSpec(source.url, source.name, "jetstream", source.url)

    async def run():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await jetstream.consume(spec, sink, stop, get_settings())

    asyncio.run(run())
    with db.session_scope(url) as session:
        stored = session.exec(select(func.count()).select_from(Mention)).one()
    return {"lags": lags, "taken": taken, "stored": stored, "events": sink.events}


def ceiling(texts: list[str], matcher_find, count: int = 20_000) -> float:
    """Frames per second through parse + match alone (no network, no database)."""
    from datetime import datetime, timezone

    from monitor.ingest.streams.events import jetstream_event

    replay = [frame for _, frame in frames(texts, count, 1.0, time.time() - 2)]
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    for frame in replay:
        item = jetstream_event(frame, now=now).item
        matcher_find(item.text)
    return len(replay) / (time.perf_counter() - started)


def report(label: str, run: dict, rate: int, seconds: float) -> None:
    lags, taken = run["lags"], run["taken"]
    if len(taken) < 2:
        print(f"{label}: consumed {len(taken)} events")
        return
    sustained = (len(taken) - 1) / (taken[-1] - taken[0])
    quantiles = statistics.quantiles(lags, n=100)
    print(
        f"{label}: {len(taken):,} of {int(rate * seconds):,} events consumed, sustained {sustained:,.0f} posts/s; "
        f"lag median {statistics.median(lags) * 1000:,.0f} ms, p99 {quantiles[98] * 1000:,.0f} ms, "
        f"max {max(lags) * 1000:,.0f} ms; {run['stored']:,} mentions stored"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per run")
    args = parser.parse_args()
    rng = random.Random(SEED)
    people = make_people(args.people, rng)
    texts = [json.loads(line)["text"] for line in make_posts(5000, people, rng)]
    ports = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_replay, args=(ports, texts, args.rate, args.seconds), daemon=True
    )
    server.start()
    port = ports.get(timeout=60)
    _pin(0)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(MONITOR_ALLOW_PRIVATE_NETWORKS="true", MONITOR_DATA_DIR=tmp, MONITOR_LOG_FORMAT="text")
        from monitor.matching import Matcher, PersonNames  # noqa: F401

        naive = NaiveMatcher(people)
        ours = Matcher(people)
        print(
            f"ceiling (parse + match, no network or writes): ours {ceiling(texts, ours.find):,.0f} posts/s, "
            f"naive {ceiling(texts, naive.people_in, 300):,.0f} posts/s"
        )
        for label, matcher in (("ours ", None), ("naive", naive)):
            url = args.database_url or f"sqlite:///{tmp}/{label.strip()}.db"
            if args.database_url:
                _empty(url)
            prepare(url, people, port)
            os.environ["MONITOR_DATABASE_URL"] = url
            from monitor.core.settings import get_settings

            get_settings.cache_clear()
            report(label, consume(url, args.seconds + 3, matcher), args.rate, args.seconds)
    server.terminate()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; consumer on one core")


def _empty(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
