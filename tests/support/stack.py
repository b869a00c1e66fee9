"""Helpers for tests that run the monitor's real processes: start, wait, stop, log in."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support import cli

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float, interval: float = 0.1, what: str = "condition", log: Path | None = None):
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds, with
    the end of the process's ``log`` when given (a CI failure then says why)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- the end of " + log.name + " ---\n" + log.read_text(errors="replace")[-4000:]
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")


@contextmanager
def running(command: list[str], *, log: Path, env: dict | None = None, cwd: Path | None = None):
    """Run ``command`` in its own process group for the block; always stopped afterwards."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env or dict(os.environ), cwd=cwd, start_new_session=True
        )
        try:
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen, grace: float = 20) -> int:
    """SIGTERM the process group, SIGKILL it after ``grace`` seconds; returns the exit status."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def worker_command() -> list[str]:
    return [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "workers.app",
        "worker",
        "--loglevel=INFO",
        "--concurrency=2",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def web_command(port: int) -> list[str]:
    return [PYTHON, "-m", "monitor", "web", "--port", str(port)]


def healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def logged_in_client(base: str, email: str, password: str) -> httpx.Client:
    """An httpx client with a reviewer session on the web app at ``base``."""
    client = httpx.Client(base_url=base, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code in (303, 200) and "/login" not in str(answer.headers.get("location", "")), answer.text
    return client


def add_user_cli(email: str, password: str, role: str = "reviewer") -> None:
    cli.monitor("users", "add", email, "--role", role, "--password-stdin", input=password + "\n", check=True)


def _processes_in(folder: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == folder:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
