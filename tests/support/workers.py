"""Shared by the tests (moved from test_exactly_once.py)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest

from tests.support import stack


@contextmanager
def private_redis():
    """A redis-server of this test's own on a free port; ``restart()`` bounces it."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = stack.free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    state = {"process": subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)}
    url = f"redis://127.0.0.1:{port}/0"
    stack.wait_for(lambda: _accepts(port), timeout=10, what="redis-server")

    def restart(down_for: float = 1.0):
        state["process"].terminate()
        state["process"].wait(timeout=10)
        time.sleep(down_for)
        state["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        stack.wait_for(lambda: _accepts(port), timeout=10, what="redis-server after restart")

    try:
        yield url, restart
    finally:
        state["process"].terminate()
        state["process"].wait(timeout=10)


def _worker_env(redis_url: str, **extra) -> dict:
    env = dict(os.environ, MONITOR_BROKER_URL=redis_url, MONITOR_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    return {**env, **extra}


def _worker(tmp_path, name: str, env: dict, concurrency: int = 2):
    command = [
        c if not c.startswith("--concurrency") else f"--concurrency={concurrency}" for c in stack.worker_command()
    ]
    return stack.running(command + ["-n", f"{name}@%h"], log=tmp_path / f"{name}.log", env=env)


def _ready(tmp_path, *names: str) -> None:
    for name in names:
        path = tmp_path / f"{name}.log"
        stack.wait_for(
            lambda: path.exists() and "ready." in path.read_text(errors="replace"),
            timeout=60,
            what=f"worker {name}\n{_log(tmp_path, name)}",
        )


def _json_lines(tmp_path, name: str) -> list[dict]:
    """The worker's structured log lines (``monitor.core.logs``), parsed."""
    lines = (tmp_path / f"{name}.log").read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _log(tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.log"
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


VISIBILITY_TIMEOUT = 4


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
