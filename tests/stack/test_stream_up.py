"""``monitor up`` starts the stream process beside web, worker and beat (embedded default, SQLite)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess

import pytest

from tests.support import stack
from tests.support.stream_standins import JetstreamStandIn, jetstream_post, now_us


def _mentions(db) -> int:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            return conn.execute("select count(*) from mention").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_monitor_up_consumes_the_configured_stream(tmp_path):
    server = JetstreamStandIn().start()
    server.add(jetstream_post(now_us() - 1_000_000, "Суд продлил арест Владимира Воронцова", rkey="named"))
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[[person]]\nname = "Vladimir Vorontsov"\naliases = ["Владимир Воронцов"]\n\n'
        '[[source]]\nurl = "http://127.0.0.1:9/feed.xml"\n\n'
        f'[stream.bluesky]\nurl = "{server.url}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_ALLOW_PRIVATE_NETWORKS"] = "true"  # the stand-in is on loopback
    db = tmp_path / "data" / "monitor.core.db"
    with open(tmp_path / "up.log", "wb") as log:
        process = subprocess.Popen(
            [stack.PYTHON, "-m", "monitor", "up", "--port", str(stack.free_port()), "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        stack.wait_for(lambda: _mentions(db) >= 1, timeout=90, what="a mention from the stream")
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
        code = process.wait(timeout=60)
        server.stop()
    log_text = (tmp_path / "up.log").read_text(errors="replace")
    assert code == 0, log_text[-3000:]
    assert len(server.ws_requests()) >= 1
    assert "1 new mentions" in log_text  # the stream process's summary on its clean stop
