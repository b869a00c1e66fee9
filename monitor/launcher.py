"""``monitor up``: web + Celery worker + Celery beat on the embedded default.

The three run as child processes in sessions of their own, so Ctrl-C reaches only this
process, which then stops every child in turn (SIGTERM, then SIGKILL after a grace
period). If any child dies, the others are stopped too and the exit status is 1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from monitor.config import get_settings

STOP_GRACE_SECONDS = 15
DEMO_USER = ("demo@example.org", "demo-password")
DEMO_DIGEST_AFTER_SECONDS = 20


def run_stack(*, demo: bool, port: int, config: Path | None) -> int:
    """Start everything, wait for Ctrl-C or a child's death, stop everything."""
    settings = get_settings()
    env = dict(os.environ)
    server = None
    if demo:
        server, config = _start_demo(settings.data_dir, env)
    if config is not None:
        env["MONITOR_CONFIG"] = str(Path(config).resolve())
    env.setdefault("MONITOR_SECRET_KEY", settings.resolved_secret_key())
    # A person reads this terminal: plain log lines, and no line per task run (set either
    # variable to get JSON or every task back).
    env.setdefault("MONITOR_LOG_FORMAT", "text")
    env.setdefault("MONITOR_LOG_TASKS", "false")
    _prepare(config, demo)
    children = _spawn(env, port, config)
    try:
        _kick_first_poll(demo)
        print(f"monitor is up: http://127.0.0.1:{port}/review  (Ctrl-C stops it)", flush=True)
        return _wait(children)
    finally:
        _stop(children)
        if server:
            server.stop()


def _start_demo(data_dir: Path, env: dict):
    from monitor.demo import DemoServer, demo_config

    server = DemoServer().start()
    path = (data_dir / "demo" / "monitor.toml").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(demo_config(server.base_url), encoding="utf-8")
    env["MONITOR_ALLOW_PRIVATE_NETWORKS"] = "true"
    env.setdefault("MONITOR_SPIKE_REFRESH_SECONDS", "5")  # the demo's spike shows within seconds
    os.environ["MONITOR_ALLOW_PRIVATE_NETWORKS"] = "true"
    get_settings.cache_clear()
    print(f"demo feeds on {server.base_url}; log in as {DEMO_USER[0]} / {DEMO_USER[1]}", flush=True)
    return server, path


def _prepare(config: Path | None, demo: bool) -> None:
    from monitor.cli import prepare

    prepare(config)
    if demo:
        from monitor.users import add_user

        add_user(email=DEMO_USER[0], role="admin", password=DEMO_USER[1])


def _spawn(env: dict, port: int, config: Path | None) -> list[subprocess.Popen]:
    python = sys.executable
    web = [python, "-m", "monitor", "web", "--port", str(port)] + (["--config", str(config)] if config else [])
    commands = [
        web,
        [python, "-m", "celery", "-A", "workers.app", "worker", "--loglevel=INFO", "--concurrency=2",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        [python, "-m", "celery", "-A", "workers.app", "beat", "--loglevel=INFO"],
    ]
    return [subprocess.Popen(c, env=env, start_new_session=True) for c in commands]


def _kick_first_poll(demo: bool) -> None:
    # Beat's first tick is a minute away; a newcomer should see mentions sooner, and in
    # the demo a digest of yesterday built from them (data/outbox/ without SMTP).
    from workers.tasks import dispatch_due_sources, send_due_digests

    dispatch_due_sources.delay()
    if demo:
        send_due_digests.apply_async(countdown=DEMO_DIGEST_AFTER_SECONDS)


def _wait(children: list[subprocess.Popen]) -> int:
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    while not stopping:
        if any(child.poll() is not None for child in children):
            print("a monitor process exited; stopping the others", file=sys.stderr, flush=True)
            return 1
        time.sleep(0.5)
    return 0


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
