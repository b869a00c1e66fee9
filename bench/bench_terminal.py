"""Terminal lines of ``monitor up --demo`` over a stretch of time, with a reader at the page.

Not a speed bench: it counts what a person running the demo has to read. It starts
``monitor up --demo`` in an empty folder (code from ``--root``, so the same script measures
another checkout), logs in, and once a minute loads /review and the static files the
page links, as a browser would. After ``--seconds`` it stops the stack (Ctrl-C) and prints
the number of lines written, and the most frequent kinds of line.

    .venv/bin/python bench/bench_terminal.py --seconds 600 [--root /path/to/checkout]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import stack  # noqa: E402

DEMO_USER = ("demo@example.org", "demo-password")


def _browse(base: str, client: httpx.Client) -> None:
    """Load /review and each /static/ file it links, as a browser would."""
    page = client.get("/review").text
    for path in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page))):
        client.get(path)


def _shape(line: str) -> str:
    # The kind of a line: digits and quoted parts blanked, so repeats group together.
    return re.sub(r"\d+", "N", re.sub(r'"[^"]*"', '"…"', line))[:90]


def run(root: Path, seconds: float) -> list[str]:
    """Run the demo stack from ``root`` for ``seconds`` with a reader; its terminal lines."""
    folder = Path(tempfile.mkdtemp(prefix="terminal-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["PYTHONPATH"] = str(root)
    port = stack.free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "up.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "up", "--demo", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        stack.wait_for(lambda: stack.healthy(base), timeout=90, what="/healthz")
        client = stack.logged_in_client(base, *DEMO_USER)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            _browse(base, client)
            time.sleep(min(60, max(0, end - time.monotonic())))
        client.close()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    return log.read_text(errors="replace").splitlines()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    lines = run(args.root, args.seconds)
    print(f"{args.root}: {len(lines)} terminal lines in {args.seconds:.0f} s of monitor up --demo")
    for shape, n in collections.Counter(_shape(line) for line in lines).most_common(8):
        print(f"  {n:4d}  {shape}")


if __name__ == "__main__":
    main()
