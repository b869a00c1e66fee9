"""Benchmark: the review queue and its filters with 1,000,000 mentions in PostgreSQL, under
20 concurrent reviewers on loopback. Run by hand: ``python bench/bench_review.py``.

It creates a fresh database (``--admin-url``'s server, name ``--db-name``), migrates it and
generates the data with ``INSERT … SELECT generate_series``: ids grow with first-seen time
as the poller writes them, a third of the mentions share a story cluster of three, every
mention has its sighting and one in five a second one, languages ru/en/uk or unknown. It
starts ``python -m monitor.web.serve`` with ``--workers`` processes and logs in ``--reviewers``.

Three phases of ``--seconds`` each, printed separately with p50/p95/p99 per kind of request:
one reviewer back to back (the cost of a page), all reviewers back to back (a stress figure:
on a small machine it measures queueing more than page cost), and all reviewers with a
reading pause of ``--think`` seconds on average between requests, arriving at random within
the first pause (how reviewers work). The mix: the queue, its next page, filters by person,
source kind, language, label, dates, full-text search, and one request in eight labels a
card. The target is p95 ≤ 150 ms. The bench client's own CPU per request is printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx
import sqlalchemy as sa

DEFAULT_ADMIN_URL = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DB_NAME = "monitor_bench_review"
PASSWORD = "bench password 1"
TARGET_P95_MS = 150.0
KINDS = ("rss", "mastodon", "bluesky", "reddit", "telegram")
WORDS = ("court", "hearing", "solidarity", "prison", "appeal", "letter", "protest", "verdict")
LANGUAGES = ("ru", "en", "uk")
LABELS = ("solidarity", "news", "hostile", "unrelated", "other")
DEFAULT_THINK = 2.0  # seconds a reviewer reads between requests (third phase)

GENERATE = [
    "INSERT INTO person (name, active) SELECT 'Person ' || g, true FROM generate_series(1, 50) g",
    "INSERT INTO alias (person_id, kind, text) SELECT id, 'alias', name FROM person",
    """INSERT INTO source (url, name, kind, enabled, consecutive_failures)
       SELECT 'https://s' || g || '.example/feed', 'Source ' || g,
              (ARRAY['rss','mastodon','bluesky','reddit','telegram'])[1 + g % 5], true, 0
       FROM generate_series(1, 200) g""",
    "INSERT INTO cluster (key, created_at) SELECT 'c' || g, now() FROM generate_series(1, {clusters}) g",
    """INSERT INTO mention (source_id, guid, url, title, text, fetched_at, published_at, status, review_state,
                           label, cluster_id, language)
       SELECT 1 + (hashint4(g * 3) & 2147483647) % 200, 'g' || g, 'https://example.org/p/' || g,
              'Story ' || g || ' about Person ' || (1 + g % 50),
              'Person ' || (1 + g % 50) || ' ' ||
                (ARRAY['court','hearing','solidarity','prison','appeal','letter','protest','verdict'])[1 + g % 8]
                || ' report number ' || g || ' with some more words to make the text realistic.',
              now() - ({mentions} - g) * interval '30 seconds',
              now() - ({mentions} - g) * interval '30 seconds' - interval '5 minutes',
              CASE WHEN g % 10 < 6 THEN 'new' WHEN g % 10 < 9 THEN 'confirmed' ELSE 'dismissed' END,
              CASE WHEN g % 10 < 6 THEN 'unreviewed' WHEN g % 10 < 9 THEN 'reviewed' ELSE 'reviewed' END,
              CASE WHEN g % 10 < 6 THEN NULL
                   ELSE (ARRAY['solidarity','news','hostile','unrelated','other'])[1 + (hashint4(g * 7) & 2147483647) % 5] END,
              CASE WHEN g % 3 = 0 THEN 1 + (g / 9) ELSE NULL END,
              (ARRAY['ru','ru','ru','ru','ru','en','en','en','uk',NULL])[1 + (hashint4(g * 11) & 2147483647) % 10]
       FROM generate_series(1, {mentions}) g""",
    # Every mention was seen on its own source; one in five also on a second source (a boost).
    """INSERT INTO sighting (mention_id, source_id, url, seen_at)
       SELECT id, source_id, url, fetched_at FROM mention""",
    """INSERT INTO sighting (mention_id, source_id, url, seen_at)
       SELECT id, 1 + (source_id + 7) % 200, url, fetched_at + interval '10 minutes' FROM mention WHERE id % 5 = 0""",
    """INSERT INTO mentionperson (mention_id, person_id, alias)
       SELECT m.id, p.n, 'Person ' || p.n
       FROM mention m CROSS JOIN LATERAL (SELECT 1 + (hashint4(m.id) & 2147483647) % 50 AS n) p""",
    "ANALYZE",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(admin_url: str, mentions: int, name: str = DB_NAME) -> str:
    """A fresh migrated database filled with ``mentions`` generated mentions; returns its URL."""
    from monitor.core import db

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    started = time.monotonic()
    with engine.connect() as conn:
        for statement in GENERATE:
            conn.exec_driver_sql(statement.format(mentions=mentions, clusters=mentions // 9 + 2).replace("%", "%%"))
    print(f"generated {mentions:,} mentions in {time.monotonic() - started:.1f} s", flush=True)
    engine.dispose()
    return url


def add_reviewers(url: str, count: int) -> list[str]:
    """``count`` reviewer accounts (one argon2 hash shared, to keep set-up fast)."""
    from monitor.review.users import hash_password

    emails = [f"reviewer{n}@example.org" for n in range(count)]
    password_hash = hash_password(PASSWORD)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for email in emails:
            conn.execute(
                sa.text('INSERT INTO "user" (email, role, password_hash, active) VALUES (:e, :r, :h, true)'),
                {"e": email, "r": "reviewer", "h": password_hash},
            )
    engine.dispose()
    return emails


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_SECRET_KEY": "bench-secret"}
    process = subprocess.Popen(
        # monitor.web.serve, not the uvicorn command: with several workers the latter leaves Nagle's
        # algorithm on and adds ~40 ms to every keep-alive request after the first.
        [
            sys.executable,
            "-m",
            "monitor.web.serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("bench: the web server did not start within 60 s")


def login(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (200, 303) and "Review queue" in client.get("/review").text, "login failed"
    return client


def _paths(rng: random.Random) -> tuple[str, str]:
    """One reviewer request: the queue, a filter, the next page, or (one in eight) a label."""
    choice = rng.randrange(8)
    if choice == 0:
        return "queue", "/review"
    if choice == 1:
        return "person", f"/review?person={rng.randint(1, 50)}"
    if choice == 2:
        return rng.choice(
            (("kind", f"/review?kind={rng.choice(KINDS)}"), ("language", f"/review?language={rng.choice(LANGUAGES)}"))
        )
    if choice == 3:
        return "label", f"/review?state=all&label={rng.choice(('solidarity', 'news', 'hostile'))}"
    if choice == 4:
        return "search", f"/review?state=all&q={rng.choice(WORDS)}"
    if choice == 5:
        return "dates", "/review?state=all&since=2020-01-01&until=2100-01-01"
    if choice == 6:
        return "act", "ACT"
    return "next page", "NEXT"


def _request(client: httpx.Client, kind: str, path: str, page: str, rng: random.Random) -> httpx.Response:
    if kind != "act":
        return client.get(path)
    ids = re.findall(r'data-id="(\d+)"', page)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "action": "label", "value": rng.choice(LABELS), "ids": rng.choice(ids or ["1"])}
    return client.post("/review/act", data=data, headers={"X-Requested-With": "fetch"})


def reviewer_loop(
    client: httpx.Client, seconds: float, seed: int, results: list[tuple[str, float]], think: float = 0.0
) -> None:
    """Requests for ``seconds``: after each, a pause drawn uniformly from 0.5–1.5 × ``think``.

    With pauses, each reviewer also starts after a random 0–``think`` s, as people arrive at
    their desks: otherwise all of them fire their first request in the same millisecond.
    """
    rng = random.Random(seed)
    next_url, page = "/review", client.get("/review").text
    deadline = time.monotonic() + seconds
    if think:
        time.sleep(rng.uniform(0, think))
    while time.monotonic() < deadline:
        kind, path = _paths(rng)
        path = next_url if path == "NEXT" else path
        started = time.perf_counter()
        response = _request(client, kind, path, page, rng)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        results.append((kind, elapsed))
        if kind != "act":
            page = response.text
            found = re.search(r'href="([^"]+)" rel="next"', page)
            next_url = found.group(1).replace("&amp;", "&") if found and kind in ("queue", "next page") else next_url
        if think:
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(title: str, results: list[tuple[str, float]], seconds: float) -> float:
    print(f"\n== {title}")
    print(f"{'request':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in sorted({k for k, _ in results}) + ["all"]:
        values = [v for k, v in results if kind in ("all", k)]
        print(
            f"{kind:<10} {len(values):>6} {percentile(values, 50):>8.1f} {percentile(values, 95):>8.1f} "
            f"{percentile(values, 99):>8.1f}"
        )
    overall = percentile([v for _, v in results], 95)
    print(
        f"throughput {len(results) / seconds:.1f} req/s; p95 {overall:.1f} ms "
        f"({'meets' if overall <= TARGET_P95_MS else 'misses'} the {TARGET_P95_MS:.0f} ms target)",
        flush=True,
    )
    return overall


def run_phase(clients: list[httpx.Client], seconds: float, think: float) -> list[tuple[str, float]]:
    """Every client runs ``reviewer_loop`` in its own thread; the merged timings."""
    results: list[tuple[str, float]] = []
    threads = [
        threading.Thread(target=reviewer_loop, args=(c, seconds, n, results, think)) for n, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each of the three phases")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--reuse", action="store_true", help="use the existing bench database as it is")
    parser.add_argument("--db-name", default=DB_NAME, help="name of the bench database on the server")
    parser.add_argument(
        "--think",
        type=float,
        default=DEFAULT_THINK,
        help="mean seconds a reviewer reads between two requests in the third phase",
    )
    args = parser.parse_args()
    url = (
        sa.engine.make_url(args.admin_url).set(database=args.db_name).render_as_string(hide_password=False)
        if args.reuse
        else create_database(args.admin_url, args.mentions, args.db_name)
    )
    emails = (
        add_reviewers(url, args.reviewers)
        if not args.reuse
        else [f"reviewer{n}@example.org" for n in range(args.reviewers)]
    )
    mentions = _count_mentions(url)
    port = _free_port()
    server = start_server(url, port, args.workers)
    try:
        clients = [login(f"http://127.0.0.1:{port}", email) for email in emails]
        print(
            f"{mentions:,} mentions; {args.workers} uvicorn workers; {os.cpu_count()} CPUs on this machine "
            f"(shared with the bench client and PostgreSQL); {args.seconds:.0f} s per phase"
        )
        phases = [
            ("1 reviewer, back to back", clients[:1], 0.0),
            (f"{len(clients)} reviewers, back to back", clients, 0.0),
            (f"{len(clients)} reviewers, reading {args.think:.1f} s (0.5-1.5x) between requests", clients, args.think),
        ]
        for title, group, think in phases:
            cpu = time.process_time()
            results = run_phase(group, args.seconds, think)
            report(title, results, args.seconds)
            # The reviewers' own CPU: on this machine it is taken from the server.
            print(f"bench client CPU {(time.process_time() - cpu) / len(results) * 1000:.1f} ms per request")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _count_mentions(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM mention").scalar_one()
    engine.dispose()
    return count


if __name__ == "__main__":
    main()
