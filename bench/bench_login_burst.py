"""Benchmark: a burst of anonymous logins against one web process, with and without the bound
on concurrent password checks. Run by hand: ``python bench/bench_login_burst.py``.

Starts ``python -m monitor.web.serve`` on a fresh SQLite database twice: once as shipped
(``monitor.web.auth.PASSWORD_CHECKS_AT_ONCE`` argon2 checks at a time, the rest waiting in the
event loop), once with the bound lifted (the naive baseline: every login hashes in its own
worker thread, as before the bound). Each run sends ``--logins`` wrong-password logins
``--parallel`` at a time, each from its own forwarded address and for its own email so that
the rate limit refuses none, while a signed-in reviewer loads ``/review`` every 0.1 s.
Printed per run: the process's peak resident memory (VmHWM) before and after, the burst's
duration, and the reviewer's page time (median and worst) during the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.stack import free_port, wait_for

PASSWORD = "bench password 1"
CONFIG = '[[person]]\nname = "Bench Person"\n\n[[source]]\nurl = "https://example.org/feed.xml"\n'
SERVE = (
    "import sys, monitor.web.auth as auth; auth.PASSWORD_CHECKS_AT_ONCE = int(sys.argv[1]); "
    "from monitor.web.serve import serve; serve(port=int(sys.argv[2]), log_level='warning')"
)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def burst(base: str, logins: int, parallel: int) -> float:
    """``logins`` wrong-password logins, ``parallel`` at a time; returns the seconds taken."""
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=httpx.Limits(max_connections=parallel + 2)
    ) as client:
        token = csrf((await client.get("/login")).text)

        async def one(n: int) -> int:
            async with gate:
                response = await client.post(
                    "/login",
                    data={"email": f"user{n}@example.org", "password": "wrong", "csrf_token": token},
                    headers={"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"},
                )
                return response.status_code

        started = time.perf_counter()
        codes = await asyncio.gather(*(one(n) for n in range(logins)))
    assert set(codes) == {401}, set(codes)
    return time.perf_counter() - started


def reviewer_pages(base: str, email: str, stop: threading.Event, timings: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client.get("/login").text)}
        )
        while not stop.is_set():
            started = time.perf_counter()
            assert client.get("/review").status_code == 200
            timings.append(time.perf_counter() - started)
            time.sleep(0.1)


def run(bound: int, *, logins: int, parallel: int, folder: Path) -> dict:
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": f"sqlite:///{folder / 'monitor.core.db'}",
        "MONITOR_DATA_DIR": str(folder),
        "MONITOR_SECRET_KEY": "bench",
        "MONITOR_CONFIG": str(folder / "monitor.toml"),
    }
    (folder / "monitor.toml").write_text(CONFIG, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "monitor", "db", "upgrade"], env=env, check=True, capture_output=True)
    email = "reviewer@example.org"
    subprocess.run(
        [sys.executable, "-m", "monitor", "users", "add", email, "--role", "reviewer", "--password-stdin"],
        env=env,
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(bound), str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(base), timeout=60, interval=0.2, what="the web server")
        before = peak_rss_mib(server.pid)
        stop, timings = threading.Event(), []
        watcher = threading.Thread(target=reviewer_pages, args=(base, email, stop, timings))
        watcher.start()
        time.sleep(1)
        seconds = asyncio.run(burst(base, logins, parallel))
        stop.set()
        watcher.join()
        return {
            "before": before,
            "peak": peak_rss_mib(server.pid),
            "seconds": seconds,
            "page_p50": statistics.median(timings),
            "page_max": max(timings),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=80)
    parser.add_argument("--parallel", type=int, default=40)
    args = parser.parse_args()
    from monitor.web.auth import PASSWORD_CHECKS_AT_ONCE

    for label, bound in (
        (f"bounded ({PASSWORD_CHECKS_AT_ONCE} at once)", PASSWORD_CHECKS_AT_ONCE),
        ("naive (no bound)", 10_000),
    ):
        with tempfile.TemporaryDirectory() as folder:
            r = run(bound, logins=args.logins, parallel=args.parallel, folder=Path(folder))
        print(
            f"{label:24} peak RSS {r['before']:6.0f} -> {r['peak']:6.0f} MiB   burst {r['seconds']:5.1f} s   "
            f"reviewer page p50 {r['page_p50'] * 1000:6.0f} ms, worst {r['page_max'] * 1000:6.0f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
