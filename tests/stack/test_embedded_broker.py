"""The embedded broker (``make run``'s folder queue) loses no message and delivers each once.

kombu's own filesystem transport lost a message whenever a consumer took its file between the
writer's ``open`` and ``write``: a ``poll_batch`` sent by a worker's child vanished and the
worker ended, the likeliest cause of a CI run's timed-out worker test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from queue import Empty

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from monitor.ingest.metrics import queue_length
from tests.support.stack import running, wait_for, worker_command
from workers.app import create_app

QUEUE = "race"
MESSAGES = 2000

# Puts MESSAGES numbered messages through the app's own connection, as a worker's child does.
WRITER = f"""
from workers.app import create_app
with create_app().connection_for_write() as connection:
    queue = connection.SimpleQueue({QUEUE!r})
    for number in range({MESSAGES}):
        queue.put({{"number": number}})
"""

# A second consumer taking as fast as it can until told to stop; prints what it took.
CONSUMER = f"""
import json, os, sys
from queue import Empty
from workers.app import create_app
stop, taken = sys.argv[1], []
with create_app().connection_for_read() as connection:
    queue = connection.SimpleQueue({QUEUE!r})
    while True:
        try:
            message = queue.get_nowait()
        except Empty:
            if os.path.exists(stop):
                break
            continue
        taken.append(message.payload["number"])
        message.ack()
print(json.dumps(taken))
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_two_consumers_racing_a_writer_take_every_message_once(settings, tmp_path):
    assert settings.embedded_broker
    stop = tmp_path / "stop"
    consumer = subprocess.Popen([sys.executable, "-c", CONSUMER, str(stop)], stdout=subprocess.PIPE, text=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER])
    taken: list[int] = []
    try:
        with create_app().connection_for_read() as connection:
            queue = connection.SimpleQueue(QUEUE)
            while writer.poll() is None or queue_length(settings):
                try:
                    message = queue.get_nowait()
                except Empty:
                    continue
                taken.append(message.payload["number"])
                message.ack()
        assert writer.wait(timeout=60) == 0
    finally:
        stop.touch()
        out, _ = consumer.communicate(timeout=60)
    other = json.loads(out)
    assert other and taken, "both consumers took part"
    assert sorted(taken + other) == list(range(MESSAGES))
    assert not list((settings.embedded_broker_dir() / "queue").iterdir()), "no partial message is left behind"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_message_being_written_is_neither_taken_nor_counted(settings):
    with create_app().connection_for_write() as connection:
        queue = connection.SimpleQueue(QUEUE)
        folder = Path(connection.transport_options["data_folder_in"])
        (folder / f".1_x.{QUEUE}.msg.part").write_bytes(b'{"body": ')  # a writer stopped halfway
        assert queue_length(settings) == 0
        with pytest.raises(Empty):
            queue.get_nowait()
        queue.put({"whole": True})
        assert queue_length(settings) == 1
        message = queue.get_nowait()
        assert message.payload == {"whole": True}
        message.ack()
    assert queue_length(settings) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@hypothesis_settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(json_values, min_size=1, max_size=5))
def test_what_is_put_comes_back_the_same_and_in_order(settings, payloads):
    with create_app().connection_for_write() as connection:
        queue = connection.SimpleQueue(QUEUE)
        for payload in payloads:
            queue.put({"payload": payload})
        got = [queue.get_nowait() for _ in payloads]
        assert [message.payload["payload"] for message in got] == payloads
        for message in got:
            message.ack()
        with pytest.raises(Empty):
            queue.get_nowait()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("garbage", [b"", b'{"body": ', b"\xff\xfe not json"])
def test_an_unreadable_message_is_set_aside_and_the_next_one_comes(settings, garbage):
    with create_app().connection_for_write() as connection:
        queue = connection.SimpleQueue(QUEUE)
        folder = Path(connection.transport_options["data_folder_in"])
        (folder / f"{0:020d}_bad.{QUEUE}.msg").write_bytes(garbage)  # sorts first
        queue.put({"after": "garbage"})
        message = queue.get_nowait()
        assert message.payload == {"after": "garbage"}
        message.ack()
    aside = Path(connection.transport_options["processed_folder"]) / f"{0:020d}_bad.{QUEUE}.msg.unreadable"
    assert aside.read_bytes() == garbage


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_worker_given_an_unreadable_message_logs_it_and_runs_the_next_task(settings, tmp_path):
    """kombu's transport ended the worker here ("Unrecoverable error: Expecting value")."""
    from monitor.core import db
    from monitor.ingest import metrics

    folder = settings.embedded_broker_dir() / "queue"
    log = tmp_path / "worker.log"
    with running(worker_command(), log=log):
        wait_for(lambda: "ready." in log.read_text(), timeout=90, what="the worker", log=log)
        (folder / f"{0:020d}_bad.celery.msg").write_bytes(b"")
        wait_for(lambda: "unreadable message set aside" in log.read_text(), timeout=30, what="the error line", log=log)
        create_app().send_task("workers.tasks.heartbeat")

        def beat_seen():
            with db.session_scope() as session:
                return metrics.heartbeat_age(session) is not None

        wait_for(beat_seen, timeout=60, what="the heartbeat task", log=log)
    assert "Unrecoverable error" not in log.read_text()
