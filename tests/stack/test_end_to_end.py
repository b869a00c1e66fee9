"""The whole path a mention travels, through the real processes:
feed on loopback → Celery worker → database → review page → digest over SMTP.

Run twice: PostgreSQL with the Redis broker (production), SQLite with the embedded
filesystem broker (``make run``).
"""

from __future__ import annotations

import html
import re
import subprocess
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from monitor.clock import as_utc
from monitor.core import db
from monitor.core.models import Mention, Source, utcnow
from monitor.core.settings import get_settings
from tests.fixtures import feeds
from tests.support import stack
from tests.support.feedserver import FeedServer, Route

REVIEWER = ("reviewer@example.org", "a long enough password")


def _zone_where_it_is_noon() -> ZoneInfo:
    """A fixed-offset zone where it is about noon now. The posts of the last hour then fall in a
    day that has not ended, whatever the hour the suite runs at (CI once ran just after midnight
    UTC, when they fell in a day that had)."""
    east = 12 - utcnow().hour
    return ZoneInfo("Etc/GMT" + (f"{-east:+d}" if east else ""))  # Etc/GMT-3 is three hours east


def _digest_config(zone: ZoneInfo) -> str:
    return f'\n[[recipient]]\nemail = "desk@example.org"\n\n[digest]\ntimezone = "{zone.key}"\nsend_at = "08:00"\n'


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=stack.free_port())
    controller.start()
    monkeypatch.setenv("MONITOR_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    yield inbox
    controller.stop()


def _dispatch() -> None:
    from workers.app import create_app

    get_settings.cache_clear()
    create_app().send_task("workers.tasks.dispatch_due_sources")


def _sources() -> list[Source]:
    with db.session_scope() as session:
        return list(session.exec(select(Source).order_by(Source.id)))


def _mention_titles() -> list[str]:
    with db.session_scope() as session:
        return sorted(session.exec(select(Mention.title)))


def _all_polled_after(moment):
    return all(s.last_polled_at and s.last_polled_at > moment for s in _sources())


def _run_whole_path(settings, smtp, tmp_path):
    zone = _zone_where_it_is_noon()
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")), etag='"rss-1"')
        server.routes["/atom"] = Route(
            feeds.atom_reposts(server.url("")), content_type="application/atom+xml", etag='"atom-1"'
        )
        settings.config.write_text(
            feeds.config([server.url("/rss"), server.url("/atom")], _digest_config(zone)), encoding="utf-8"
        )
        stack.add_user_cli(*REVIEWER)
        with stack.running(stack.worker_command(), log=tmp_path / "worker.log"):
            start = utcnow() - timedelta(seconds=1)
            _dispatch()
            stack.wait_for(lambda: _all_polled_after(start), timeout=90, what="the worker to poll both feeds")
            titles = _mention_titles()
            assert len(titles) == feeds.MATCHING_POSTS, (tmp_path / "worker.log").read_text()[-3000:]
            assert all(s.last_error is None for s in _sources())

            _make_sources_due()
            second = utcnow()
            _dispatch()
            stack.wait_for(lambda: _all_polled_after(second), timeout=90, what="the second poll")
        assert _mention_titles() == titles
        for path in ("/rss", "/atom"):
            hits = server.hits_for(path)
            assert [h.status for h in hits] == [200, 304]
            assert hits[1].headers.get("If-None-Match") == server.routes[path].etag

    _check_review_page(tmp_path, titles)
    _check_digest_sent_once(smtp, zone)


def _make_sources_due() -> None:
    with db.session_scope() as session:
        for source in session.exec(select(Source)):
            source.next_poll_at = utcnow() - timedelta(seconds=5)


def _check_review_page(tmp_path, titles):
    port = stack.free_port()
    base = f"http://127.0.0.1:{port}"
    with stack.running(stack.web_command(port), log=tmp_path / "web.log"):
        stack.wait_for(lambda: stack.healthy(base), timeout=60, what="the web app")
        client = stack.logged_in_client(base, *REVIEWER)
        page = client.get("/review")
        client.close()
    assert page.status_code == 200
    # Names in a card's title are highlighted (<mark>): compare the text a reader sees.
    shown = html.unescape(re.sub(r"<[^>]+>", "", page.text))
    for title in titles:
        assert title in shown


def _check_digest_sent_once(smtp, zone):
    with db.session_scope() as session:
        days = sorted({as_utc(m.published_at).astimezone(zone).date() for m in session.exec(select(Mention))})
    command = [stack.PYTHON, "-m", "monitor", "digest", "send", "--date", days[-1].isoformat()]
    # The posts were published minutes ago, so their day has not ended: only --force sends it,
    # and a plain run after that sends nothing more.
    subprocess.run([*command, "--force"], check=True, capture_output=True, timeout=60)
    again = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "has not ended" in again.stderr + again.stdout
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message.rcpt_tos == ["desk@example.org"]
    assert b"Vorontsov" in message.content


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_whole_path_on_postgresql_with_the_redis_broker(settings, redis_url, smtp, monkeypatch, tmp_path):
    monkeypatch.setenv("MONITOR_BROKER_URL", redis_url)
    get_settings.cache_clear()
    _run_whole_path(settings, smtp, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_whole_path_on_sqlite_with_the_embedded_broker(settings, smtp, tmp_path):
    assert get_settings().embedded_broker
    _run_whole_path(settings, smtp, tmp_path)
