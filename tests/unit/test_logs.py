"""Worker log formats: JSON lines for a log shipper, plain lines for a person at a terminal."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from monitor.core.logs import ROUTINE_LOGGERS, JsonFormatter, TextFormatter, use_format


def _record(message: str = "polled source id=%s new=%s", *args) -> logging.LogRecord:
    record = logging.LogRecord("monitor.ingest.poller", logging.INFO, __file__, 1, message, args or (3, 2), None)
    record.source_id, record.new = 3, 2  # what ``extra=`` puts on a record
    return record


def test_a_text_line_has_the_time_level_logger_and_message_and_leaves_the_extras_to_json():
    line = TextFormatter().format(_record())

    assert line.endswith(" INFO monitor.ingest.poller: polled source id=3 new=2") and "\n" not in line
    assert line[2] == line[5] == ":"  # HH:MM:SS first
    assert json.loads(JsonFormatter().format(_record()))["source_id"] == 3


def test_a_text_line_carries_the_traceback_of_a_failure():
    try:
        raise ValueError("bad feed")
    except ValueError:
        record = logging.LogRecord(
            "monitor.ingest.poller", logging.ERROR, __file__, 1, "poll failed", (), sys.exc_info()
        )

    lines = TextFormatter().format(record).splitlines()

    assert lines[0].endswith("ERROR monitor.ingest.poller: poll failed") and lines[-1] == "ValueError: bad feed"


@pytest.fixture
def logger():
    logger, stream = logging.getLogger("test.monitor.logs"), io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    levels = {name: logging.getLogger(name).level for name in ROUTINE_LOGGERS}
    yield logger, stream
    logger.handlers.clear()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_use_format_sets_every_handler_and_can_hide_each_task_run(logger):
    logger, stream = logger
    use_format(logger, text=True, log_tasks=False)
    logger.warning("source %s failing", 7)
    trace = logging.getLogger("celery.app.trace")

    assert stream.getvalue().rstrip().endswith("WARNING test.monitor.logs: source 7 failing")
    assert not trace.isEnabledFor(logging.INFO) and trace.isEnabledFor(logging.ERROR)

    use_format(logger)
    logger.warning("source %s failing", 8)

    assert json.loads(stream.getvalue().splitlines()[-1])["message"] == "source 8 failing"
    assert logging.getLogger("celery.app.trace").level == logging.NOTSET
