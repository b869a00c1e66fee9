"""Under `monitor up` (MONITOR_LOG_TASKS=false) the terminal says what happened, not that
nothing did: no "0 due" line a minute, no "new=0" line per source, no library chatter;
production (the default) keeps every line."""

from __future__ import annotations

import io
import logging

import pytest

from monitor.core.logs import SkipNothingHappened, TextFormatter, use_format


@pytest.fixture
def worker_logger():
    """A logger with one stream handler, as Celery sets up; restored afterwards."""
    logger = logging.getLogger("test.quiet.root")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    for name in ("pymorphy3", "celery.app.trace", "celery.beat", "celery.worker.strategy", "httpx", "workers.dispatch"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _emit(logger: logging.Logger) -> None:
    logger.info("dispatched due sources: %s due, %s claimed", 0, 0, extra={"claimed": 0})
    logger.info("dispatched due sources: %s due, %s claimed", 3, 3, extra={"claimed": 3})
    logger.info("polled source id=1 new=0", extra={"new": 0, "error": None})
    logger.info("polled source id=2 new=0 failing", extra={"new": 0, "error": "HTTP 500"})
    logger.info("polled source id=3 new=4", extra={"new": 4, "error": None})
    logger.info("spike alert sent", extra={"spike_id": 1})


def test_under_monitor_up_lines_that_say_nothing_happened_are_dropped(worker_logger):
    logger, stream = worker_logger
    use_format(logger, text=True, log_tasks=False)
    _emit(logger)
    logging.getLogger("pymorphy3.opencorpora_dict.wrapper").info("Loading dictionaries from …")
    lines = stream.getvalue().splitlines()
    # The scheduler's line each minute is routine whatever it found: the polls speak for themselves.
    assert not logging.getLogger("workers.dispatch").isEnabledFor(logging.INFO)
    assert [line.split(": ", 1)[1] for line in lines] == [
        "dispatched due sources: 3 due, 3 claimed",
        "polled source id=2 new=0 failing",
        "polled source id=3 new=4",
        "spike alert sent",
    ]
    assert not logging.getLogger("pymorphy3").isEnabledFor(logging.INFO)


def test_production_keeps_every_line(worker_logger):
    logger, stream = worker_logger
    use_format(logger, text=True, log_tasks=True)
    _emit(logger)
    assert len(stream.getvalue().splitlines()) == 6


def test_the_filter_is_installed_once_however_often_celery_calls_the_setup(worker_logger):
    logger, _ = worker_logger
    for _ in range(3):
        use_format(logger, text=True, log_tasks=False)
    assert sum(isinstance(f, SkipNothingHappened) for f in logger.handlers[0].filters) == 1
    assert isinstance(logger.handlers[0].formatter, TextFormatter)
