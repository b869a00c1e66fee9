"""``monitor up``: web + Celery worker + Celery beat on the embedded default.

The three run as child processes in sessions of their own, so Ctrl-C reaches only this
process, which then stops every child in turn (SIGTERM, then SIGKILL after a grace
period). A child that dies is restarted with backoff (``monitor.entry.supervise``), the others
running on; the exit status after Ctrl-C is 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from monitor.core.settings import get_settings, private_dir
from monitor.entry.supervise import Child

STOP_GRACE_SECONDS = 15
DEMO_USER = ("demo@example.org", "demo-password")
DEMO_DIGEST_AFTER_SECONDS = 20


def run_stack(*, demo: bool, port: int, config: Path | None, allow_empty: bool = False) -> int:
    """Start everything, wait for Ctrl-C or a child's death, stop everything."""
    settings = get_settings()
    env = dict(os.environ)
    server = None
    if demo:
        server, config = _start_demo(settings.data_dir, env)
    if config is not None:
        env["MONITOR_CONFIG"] = str(Path(config).resolve())
    env.setdefault("MONITOR_SECRET_KEY", settings.resolved_secret_key())
    _default_base_url(env, settings, port)
    # A person reads this terminal: plain log lines, and no line per task run (set either
    # variable to get JSON or every task back).
    env.setdefault("MONITOR_LOG_FORMAT", "text")
    env.setdefault("MONITOR_LOG_TASKS", "false")
    if allow_empty:  # the children sync the config too: the web at start, the workers on the beat
        env["MONITOR_ALLOW_EMPTY_CONFIG"] = "true"
    _prepare(config, demo, allow_empty)
    children = _spawn(env, port, config)
    try:
        _kick_first_poll(demo, env)
        print(f"monitor is up: http://127.0.0.1:{port}/review  (Ctrl-C stops it)", flush=True)
        return _wait(children)
    finally:
        _stop(children)
        if server:
            server.stop()


def _default_base_url(env: dict, settings, port: int) -> None:
    """Links in digests, alerts and feeds name the port the web page is on, unless the user
    set ``MONITOR_BASE_URL`` (environment or .env); commands run by hand keep the default."""
    if "base_url" not in settings.model_fields_set:
        env["MONITOR_BASE_URL"] = f"http://127.0.0.1:{port}"


def _start_demo(data_dir: Path, env: dict):
    from monitor.entry.demo import demo_config, start_demo

    path = (data_dir / "demo" / "monitor.toml").resolve()
    private_dir(path.parent)
    # The same port and feeds as the last run: the demo's sources stay the same rows. They are
    # marked Source.demo (in _prepare), which is what lets them be polled on loopback.
    server = start_demo(path.parent)
    path.write_text(demo_config(server.base_url), encoding="utf-8")
    env.setdefault("MONITOR_SPIKE_REFRESH_SECONDS", "5")  # the demo's spike shows within seconds
    # The demo's live burst comes two minutes after its first start (monitor.entry.demo): poll the
    # loopback feeds every half minute so it is found, flagged and alerted soon after.
    for name, value in (
        ("MIN_POLL_INTERVAL_SECONDS", "20"),
        ("POLL_INTERVAL_SECONDS", "30"),
        ("MAX_POLL_INTERVAL_SECONDS", "60"),
        ("DISPATCH_INTERVAL_SECONDS", "15"),
    ):
        env.setdefault(f"MONITOR_{name}", value)
    print(f"demo feeds on {server.base_url}; log in as {DEMO_USER[0]} / {DEMO_USER[1]}", flush=True)
    return server, path


def _prepare(config: Path | None, demo: bool, allow_empty: bool) -> None:
    from monitor.entry.prepare import prepare

    watchlist = prepare(config, allow_empty)
    if demo:
        from monitor.core import db
        from monitor.entry.demo import mark_demo_sources
        from monitor.review.users import add_user

        with db.session_scope() as session:
            mark_demo_sources(session, [s.url for s in watchlist.sources] if watchlist else [])
        add_user(email=DEMO_USER[0], role="admin", password=DEMO_USER[1])


def _spawn(env: dict, port: int, config: Path | None) -> list[Child]:
    python = sys.executable
    web = [python, "-m", "monitor", "web", "--port", str(port)] + (["--config", str(config)] if config else [])
    commands = [
        web,
        # -q: no start-up banners (the worker's ASCII art and task list, beat's settings).
        [
            python,
            "-m",
            "celery",
            "-q",
            "-A",
            "workers.app",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        [python, "-m", "celery", "-q", "-A", "workers.app", "beat", "--loglevel=INFO"],
        # The stream process (issue 17): idles when no [stream.NAME] is enabled, waits when
        # another deployment process holds the stream lease.
        [python, "-m", "monitor", "stream"] + (["--config", str(config)] if config else []),
    ]
    return [Child(c, env) for c in commands]


def _kick_first_poll(demo: bool, env: dict) -> None:
    # Beat's first tick is a minute away; a newcomer should see mentions sooner, and in
    # the demo a digest of yesterday built from them (data/outbox/ without SMTP). Sent by
    # name from one short-lived process, so the launcher imports no task module and does
    # not wait for Celery to load before saying the monitor is up.
    sends = ["app.send_task('workers.tasks.dispatch_due_sources')"]
    if demo:
        sends.append(f"app.send_task('workers.tasks.send_due_digests', countdown={DEMO_DIGEST_AFTER_SECONDS})")
    script = "from workers.app import app; " + "; ".join(sends)
    subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL)


def _wait(children: list[Child]) -> int:
    """Keep every child running (restarting crashed ones) until Ctrl-C or SIGTERM; 0."""
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    while not stopping:
        for child in children:
            child.check()
        time.sleep(0.5)
    return 0


def _stop(children: list[Child]) -> None:
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
