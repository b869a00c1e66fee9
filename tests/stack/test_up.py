"""``monitor up --demo``: the embedded default, offline, from an empty folder."""

from __future__ import annotations

import email
import os
import re
import signal
import sqlite3
import subprocess
import time
from email import policy
from pathlib import Path

import pytest

from monitor.entry.launcher import DEMO_USER
from tests.support import stack
from tests.support.stack import _processes_in


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.mark.slow
def test_up_demo_serves_stores_mentions_flags_a_spike_builds_a_digest_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    port = stack.free_port()
    base = f"http://127.0.0.1:{port}"
    db = tmp_path / "data" / "monitor.core.db"
    started = time.monotonic()
    with open(tmp_path / "up.log", "wb") as log:
        process = subprocess.Popen(
            [stack.PYTHON, "-m", "monitor", "up", "--demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        stack.wait_for(lambda: stack.healthy(base), timeout=60, what="/healthz")
        stack.wait_for(lambda: _count(db, "select count(*) from mention") >= 50, timeout=60, what="demo mentions")
        client = stack.logged_in_client(base, *DEMO_USER)
        page = client.get("/review").text
        assert time.monotonic() - started < 60, "mentions must show on the review page within a minute"
        assert "Vladimir Vorontsov" in page and "<mark>" in page
        for _ in range(3):  # a reader at the page: the page and its static files, as a browser loads them
            for path in ["/review", *sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page)))]:
                assert client.get(path).status_code == 200
        client.close()
        stack.wait_for(lambda: _count(db, "select count(*) from spike") >= 1, timeout=30, what="a spike")
        outbox = tmp_path / "data" / "outbox"
        digests = stack.wait_for(lambda: list(outbox.glob("*.eml")), timeout=60, what="a digest in data/outbox")
        assert _count(db, "select count(*) from source where last_error is not null") == 0
        # Demo sources are polled on loopback because they are marked, not because the
        # launcher opened private networks to every source.
        assert _count(db, "select count(*) from source where demo") == 3
        # MONITOR_BASE_URL was unset: links in the mail name the port the page is on.
        texts = [
            email.message_from_bytes(p.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
            for p in digests
        ]
        assert any(f"Review queue: {base}/review" in text for text in texts), texts
        assert "127.0.0.1:8000" not in "".join(texts)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
        code = process.wait(timeout=40)
    log_text = (tmp_path / "up.log").read_text(errors="replace")
    assert code == 0, log_text[-3000:]
    # A person reads this terminal: plain lines, and no line for each task run.
    assert re.search(r"^\d\d:\d\d:\d\d INFO monitor\.ingest\.poller: polled source id=\d+ new=\d+", log_text, re.M), (
        log_text[-3000:]
    )
    assert "succeeded in" not in log_text and "Sending due task" not in log_text and '{"at": ' not in log_text
    assert "HTTP Request:" not in log_text and "No hostname was supplied" not in log_text
    # A quiet terminal: no access line per request or static file, no Celery banners, no
    # library start-up chatter; what a person needs stays (the address, the login, polls).
    assert '"GET /static/' not in log_text and '"GET /review' not in log_text, log_text[-3000:]
    assert "[tasks]" not in log_text and "celery beat v" not in log_text and "-------------- celery@" not in log_text
    assert "Loading dictionaries" not in log_text and "Uvicorn running on" not in log_text
    assert f"monitor is up: {base}/review" in log_text and f"log in as {DEMO_USER[0]}" in log_text
    stack.wait_for(lambda: not _processes_in(tmp_path), timeout=10, what="every child process to exit")
    assert not stack.healthy(base)
