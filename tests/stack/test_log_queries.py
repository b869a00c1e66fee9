"""Query strings (search URLs name watched people) stay out of every log line unless allowed."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.logs import HIDDEN_QUERY, without_query
from tests.support.feedserver import FeedServer, Route
from tests.support.stack import PYTHON, free_port, running, wait_for, worker_command

SECRET = "Vorontsov"

# Our own lines (message, ``extra`` and traceback), and httpx's line per request, in one process.
SCRIPT = f"""
import logging, sys, httpx
from monitor.core.settings import get_settings
from monitor.core.logs import JsonFormatter, TextFormatter, hide_query_strings
hide_query_strings(keep=get_settings().log_query_strings)
for formatter in (JsonFormatter(), TextFormatter()):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)
url = sys.argv[1] + "?q={SECRET}&lang=ru"
httpx.get(url)
log = logging.getLogger("monitor.ingest.poller")
log.info("polled %s", url, extra={{"url": url, "urls": [url], "source_id": 3}})
try:
    raise ValueError("cannot parse " + url)
except ValueError:
    log.exception("parse failed")
"""


def _run_script(server_url: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, server_url],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_our_lines_extras_tracebacks_and_httpx_lines_carry_no_query_string():
    with FeedServer() as server:
        server.routes["/search"] = Route("ok", content_type="text/plain")
        logged = _run_script(server.url("/search"))
    assert "HTTP Request: GET" in logged and '"url": ' in logged and "ValueError: cannot parse" in logged
    assert SECRET not in logged and "lang=ru" not in logged
    assert logged.count("/search" + HIDDEN_QUERY) >= 6


def test_monitor_log_query_strings_true_keeps_them():
    with FeedServer() as server:
        server.routes["/search"] = Route("ok", content_type="text/plain")
        logged = _run_script(server.url("/search"), MONITOR_LOG_QUERY_STRINGS="true")
    assert logged.count(f"?q={SECRET}&lang=ru") >= 6


@pytest.mark.parametrize(("keep", "shown"), [("false", False), ("true", True)])
def test_the_web_access_log_leaves_out_the_query_unless_allowed(tmp_path, keep, shown):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(
        MONITOR_DATABASE_URL=f"sqlite:///{tmp_path}/monitor.core.db",
        MONITOR_DATA_DIR=str(tmp_path),
        MONITOR_SECRET_KEY="test",
        MONITOR_LOG_QUERY_STRINGS=keep,
    )
    log = tmp_path / "web.log"
    with running([PYTHON, "-m", "monitor", "web", "--port", str(port)], log=log, env=env, cwd=tmp_path):
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _get(base + "/healthz"), timeout=60, what="the web app")
        assert httpx.get(f"{base}/healthz?person={SECRET}").status_code == 200
        httpx.get(f"{base}/review?q={SECRET}")
        wait_for(lambda: "/review" in log.read_text(), timeout=10, what="the access line")
    text = log.read_text()
    assert ("/healthz?person=" + SECRET in text) is shown and (SECRET in text) is shown
    assert ("/healthz" + HIDDEN_QUERY in text) is not shown


def _get(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.HTTPError:
        return False


urls = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}/{path}?{query}",
    st.sampled_from(["http", "https", "wss"]),
    st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9/._-]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9=&%+_.-]{1,30}", fullmatch=True),
)


@given(st.text(max_size=30), urls, st.text(max_size=30))
def test_a_url_anywhere_in_a_line_loses_its_whole_query(before, url, after):
    line = f"{before} {url} {after}"
    cut = without_query(line)
    query = url.split("?", 1)[1]
    assert url.split("?", 1)[0] + HIDDEN_QUERY in cut
    assert cut.replace(url.split("?", 1)[0] + HIDDEN_QUERY, "", 1).count(query) <= f"{before} {after}".count(query)


@given(st.text().filter(lambda t: "?" not in t))
def test_a_line_without_a_question_mark_is_left_alone(text):
    assert without_query(text) == text


# What a worker logs does not depend on the database behind it (the polls themselves run on
# both in test_end_to_end): SQLite alone.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_celery_workers_lines_carry_no_query_string(settings, tmp_path):
    """A real worker polls a search URL: neither httpx's line nor the poller's shows its query."""
    from monitor.entry.cli import prepare
    from workers.app import create_app

    with FeedServer() as server:
        server.routes[f"/search?q={SECRET}"] = Route(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>s</title><item><title>Vladimir Vorontsov'
            "</title><link>https://example.org/1</link><guid>s1</guid></item></channel></rss>"
        )
        settings.config.write_text(
            f'[[person]]\nname = "Vladimir {SECRET}"\n\n[[source]]\nurl = "{server.url("/search?q=" + SECRET)}"\n',
            encoding="utf-8",
        )
        prepare(None)
        env = {**os.environ, "MONITOR_LOG_TASKS": "true"}
        log = tmp_path / "worker.log"
        with running(worker_command(), log=log, env=env):
            create_app().send_task("workers.tasks.dispatch_due_sources")
            wait_for(lambda: server.hits, timeout=90, what="the worker's request", log=log)
            wait_for(lambda: "polled source" in log.read_text(), timeout=30, what="the poll's line", log=log)
    logged = log.read_text()
    assert "HTTP Request: GET" in logged and "/search" + HIDDEN_QUERY in logged
    assert f"q={SECRET}" not in logged
