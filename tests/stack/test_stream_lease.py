"""One stream process per deployment: the lease row, on both databases, and two real processes."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

from monitor.core import db
from monitor.core.models import utcnow
from monitor.core.storage.streams import claim_lease, release_lease
from tests.support import cli
from tests.support.stream_standins import JetstreamStandIn, jetstream_post, now_us, write_config


def claim(holder: str, now, seconds: float = 30) -> bool:
    with db.session_scope() as session:
        return claim_lease(session, holder=holder, now=now, seconds=seconds)


def test_the_lease_has_one_holder_until_it_expires_or_is_released(settings):
    now = utcnow()
    assert claim("a", now)
    assert not claim("b", now + timedelta(seconds=29))
    assert claim("a", now + timedelta(seconds=20))  # renewed: now held until +50 s
    assert not claim("b", now + timedelta(seconds=45))
    assert claim("b", now + timedelta(seconds=51))  # a died: its lease ran out
    assert not claim("a", now + timedelta(seconds=52))
    with db.session_scope() as session:
        release_lease(session, holder="a")  # not a's to release any more
    assert not claim("a", now + timedelta(seconds=53))
    with db.session_scope() as session:
        release_lease(session, holder="b")
    assert claim("a", now + timedelta(seconds=54))


def test_two_stream_processes_started_at_once_one_consumes_the_other_waits(settings):
    server = JetstreamStandIn().start()
    try:
        server.add(jetstream_post(now_us() - 1_000_000, "Vorontsov in court", rkey="a"))
        write_config(settings.config, f'[stream.bluesky]\nurl = "{server.url}"\n')
        synced_once(settings.config)
        both = [cli.start("stream", "--seconds", "6") for _ in range(2)]
        for process in both:
            process.wait(90)
        outputs = [process.output() for process in both]
    finally:
        server.stop()
    assert [done.returncode for done in outputs] == [0, 0], outputs
    waiting = [done for done in outputs if "waiting: another stream process holds the stream lease" in done.stderr]
    assert len(waiting) == 1, outputs
    assert server.max_open == 1  # never two connections at once
    assert server.connections >= 1


def test_a_waiting_process_takes_over_when_the_holder_dies_and_resumes_its_cursor(settings, monkeypatch):
    monkeypatch.setenv("MONITOR_STREAM_LEASE_SECONDS", "3")
    server = JetstreamStandIn().start()
    command = ("stream", "--seconds", "40")
    started = []
    try:
        server.add(jetstream_post(now_us() - 1_000_000, "Vorontsov in court", rkey="a"))
        write_config(settings.config, f'[stream.bluesky]\nurl = "{server.url}"\n')
        holder = cli.start(*command)
        started.append(holder)
        _wait(lambda: server.connections == 1 and _stored() == 1, "the first process to consume")
        standby = cli.start(*command)
        started.append(standby)
        _wait(lambda: "waiting: another" in standby.stderr(), "the standby to find the lease held")
        assert server.connections == 1
        holder.send_signal(signal.SIGKILL)  # no chance to release the lease
        holder.wait(10)
        _wait(lambda: server.connections == 2, "the standby to take over once the lease ran out")
        standby.send_signal(signal.SIGTERM)
        standby.wait(30)
        err = standby.output().stderr
    finally:
        for process in started:
            process.send_signal(signal.SIGKILL)
        server.stop()
    assert standby.poll() == 0, err
    assert "waiting: another stream process holds the stream lease" in err and "stream lease taken over" in err
    assert server.cursors()[1] is not None  # it resumed from the cursor the dead one stored
    assert _stored() == 1


def synced_once(config) -> None:
    """The config synced before the processes start, as the web service does in production:
    two processes inserting the same new person at once is a race of the config sync (one
    fails on the unique name), not of the stream lease this file tests."""
    from monitor.core.config_file import load_watchlist
    from monitor.core.storage import sync_watchlist

    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(config))


def _stored() -> int:
    from sqlmodel import func, select

    from monitor.core.models import Mention

    with db.session_scope() as session:
        return session.exec(select(func.count()).select_from(Mention)).one()


def _wait(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
