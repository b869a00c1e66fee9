"""The real ``monitor poll --once`` on SQLite over many loopback feeds: first, unchanged (304) and
unchanged (identical body) cycles, ``monitor sources list``, ``monitor --help`` and the cached
matcher, beside the naive poller of ``bench_poll.py`` in the same run (issue 15).

Run by hand: ``.venv/bin/python bench/bench_poll_sqlite.py [--feeds 1000] [--items 20]
[--people 1000] [--naive-feeds 100] [--runs 1]``.

* A fresh data folder and SQLite database per run; a config of ``--people`` people (three
  spellings each) and ``--feeds`` feed sources on 50 loopback hosts (127.0.0.2 …), ``--items``
  items each, half naming a person (``bench_poll.make_feed``).
* Every command is a subprocess of the installed command line (``python -m monitor``), as an
  operator runs it, with ``MONITOR_HOST_MIN_GAP_SECONDS=0.05`` (the default 1 s gap alone
  needs 19 s for 20 feeds a host); its wall time includes start-up, the config sync and the
  spike refresh. Items/s is the items the cycle fetched (stored or seen) over that time.
* Cycle 1 is the first poll (the watch list is expanded and cached in it); cycle 2 is
  unchanged and the server answers 304 to ``If-None-Match``/``If-Modified-Since``; cycle 3
  is unchanged with the server ignoring validators (200, the same body: the body-hash path).
* The machine is shared: the load average is printed beside every figure; prefer the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_poll  # noqa: E402 - the feeds, people and naive poller are shared with the PostgreSQL bench

ROOT = Path(__file__).resolve().parents[1]
HOSTS = bench_poll.HOSTS
LAST_MODIFIED = formatdate(time.time() - 3600, usegmt=True)


def serve(port: int, feeds: int, items: int, validators, ready) -> None:
    """/feed/N with ETag and Last-Modified answering 304 when either matches, while
    ``validators.value`` is 1; with 0, always 200 and the same body, no validators."""
    bodies = {f"/feed/{n}": bench_poll.make_feed(n, items, HOSTS[n % len(HOSTS)], port) for n in range(feeds)}

    async def handle(reader, writer):
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).lower()
                path = head.split(b" ", 2)[1].decode()
                body = bodies.get(path, b"")
                etag = f'"{hash(body)}"'
                extra = ""
                if validators.value:
                    extra = f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n"
                    matches = f"if-none-match: {etag}".encode() in head
                    matches = matches or f"if-modified-since: {LAST_MODIFIED}".lower().encode() in head
                    if matches:
                        writer.write(f"HTTP/1.1 304 Not Modified\r\n{extra}Content-Length: 0\r\n\r\n".encode())
                        await writer.drain()
                        continue
                writer.write(
                    f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n{extra}"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            writer.close()

    async def main():
        servers = [await asyncio.start_server(handle, host, port) for host in HOSTS]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(
        PYTHONPATH=str(ROOT),
        MONITOR_DATABASE_URL=f"sqlite:///{workdir}/data/monitor.db",
        MONITOR_CONFIG=str(workdir / "monitor.toml"),
        MONITOR_DATA_DIR=str(workdir / "data"),
        MONITOR_ALLOW_PRIVATE_NETWORKS="true",
        MONITOR_HOST_MIN_GAP_SECONDS="0.05",
        MONITOR_LOG_FORMAT="text",
    )
    return env


def write_config(workdir: Path, port: int, feeds: int) -> None:
    lines = []
    for name, aliases in bench_poll.PEOPLE:
        lines += ["[[person]]", f'name = "{name}"', "aliases = [" + ", ".join(f'"{a}"' for a in aliases) + "]", ""]
    for n in range(feeds):
        lines += ["[[source]]", f'url = "http://{HOSTS[n % len(HOSTS)]}:{port}/feed/{n}"', ""]
    (workdir / "monitor.toml").write_text("\n".join(lines), encoding="utf-8")


CPU: list[float] = [0.0]  # the CPU seconds of the last ``run``


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run ``python -m monitor ARGS``; (wall seconds, stdout), its CPU seconds in ``CPU[0]``
    (steadier than the wall time on a shared machine). Fails loudly on a non-zero exit."""
    cpu = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "monitor", *args], env=env, cwd=env["MONITOR_DATA_DIR"], capture_output=True, text=True
    )
    seconds = time.perf_counter() - began
    CPU[0] = _children_cpu() - cpu
    if done.returncode:
        sys.exit(f"monitor {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def fetched(stdout: str) -> tuple[int, int, int, int]:
    """(fetched, new, duplicate, failed) from the summary line of ``monitor poll --once``."""
    total = re.search(r"total: \d+ sources, fetched (\d+), new (\d+), duplicate (\d+), failed (\d+)", stdout)
    return tuple(int(g) for g in total.groups())


CACHED_MATCHER = """
import time
began = time.perf_counter()
from monitor.core import db
from monitor.core.storage import matcher_cache
imported = time.perf_counter()
with db.session_scope() as session:
    matcher_cache.matcher_for(session)
built = time.perf_counter()
print(f"{imported - began:.3f} {built - imported:.3f} {dict(matcher_cache.counts)}")
"""


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def one_run(args, port: int, validators) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "data").mkdir()
        write_config(workdir, port, args.feeds)
        env = environment(workdir)
        figures: dict[str, float] = {}
        help_seconds, _ = run(env, "--help")
        figures["help"] = help_seconds
        print(
            f"monitor --help:                  {help_seconds:6.2f} s                    [cpu {CPU[0]:.2f} s, {load()}]"
        )
        validators.value = 1
        first, out = run(env, "poll", "--once")
        items, new, duplicate, failed = fetched(out)
        figures["first"], figures["first_rate"], figures["first_cpu"] = first, items / first, CPU[0]
        print(
            f"poll --once, first cycle:        {first:6.2f} s  {items / first:7.0f} items/s  "
            f"({items} items, {new} new, {failed} failed)  [cpu {CPU[0]:.2f} s, {load()}]"
        )
        again, out = run(env, "poll", "--once")
        items2, new2, _, failed2 = fetched(out)
        figures["unchanged_304"] = again
        print(
            f"poll --once, unchanged (304):    {again:6.2f} s  ({items2} items parsed, {new2} new, "
            f"{failed2} failed)  [cpu {CPU[0]:.2f} s, {load()}]"
        )
        validators.value = 0
        same, out = run(env, "poll", "--once")
        items3, new3, _, failed3 = fetched(out)
        figures["unchanged_body"] = same
        print(
            f"poll --once, unchanged (body):   {same:6.2f} s  ({items3} items parsed, {new3} new, "
            f"{failed3} failed)  [cpu {CPU[0]:.2f} s, {load()}]"
        )
        listed, _ = run(env, "sources", "list")
        figures["sources_list"] = listed
        print(f"monitor sources list:            {listed:6.2f} s                    [cpu {CPU[0]:.2f} s, {load()}]")
        cpu = _children_cpu()
        done = subprocess.run(
            [sys.executable, "-c", CACHED_MATCHER], env=env, cwd=workdir, capture_output=True, text=True, check=True
        )
        CPU[0] = _children_cpu() - cpu
        imported, built, how = done.stdout.split(" ", 2)
        figures["matcher"] = float(built)
        print(
            f"cached matcher, {len(bench_poll.PEOPLE)} people:      {float(built):6.2f} s  "
            f"(imports {float(imported):.2f} s; {how.strip()})  [cpu {CPU[0]:.2f} s, {load()}]"
        )
        urls = [f"http://{HOSTS[n % len(HOSTS)]}:{port}/feed/{n}" for n in range(args.naive_feeds)]
        cpu = time.process_time()
        naive_seconds, naive_items = bench_poll.naive(urls, f"sqlite:///{workdir}/naive.db", bench_poll.PEOPLE, "naive")
        CPU[0] = time.process_time() - cpu
        figures["naive_rate"] = naive_items / naive_seconds
        print(
            f"naive sequential:                {naive_seconds:6.2f} s  {naive_items / naive_seconds:7.0f} items/s  "
            f"(over {args.naive_feeds} feeds)  [cpu {CPU[0]:.2f} s, {load()}]"
        )
        naive_cpu_rate = naive_items / CPU[0]
        print(
            f"ratios: first cycle {figures['first_rate'] / figures['naive_rate']:.1f}x naive per item "
            f"(per CPU second: ours {items / figures['first_cpu']:.0f} items, naive {naive_cpu_rate:.0f}); "
            f"unchanged 304 cycle = {again / first:.2f} of the first; "
            f"targets: first >= 2000 items/s, unchanged <= 3 s, --help <= 0.3 s, cached matcher <= 1 s"
        )
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--naive-feeds", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    bench_poll.watch(args.people)
    port = 19000 + os.getpid() % 1000
    validators = multiprocessing.Value("i", 1)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, args.feeds, args.items, validators, ready), daemon=True)
    server.start()
    ready.wait(60)
    print(
        f"{args.feeds} feeds x {args.items} items on {len(HOSTS)} loopback hosts, {args.people} people, SQLite, "
        f"MONITOR_HOST_MIN_GAP_SECONDS=0.05, {os.cpu_count()} CPUs"
    )
    try:
        for n in range(args.runs):
            print(f"--- run {n + 1}")
            one_run(args, port, validators)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
