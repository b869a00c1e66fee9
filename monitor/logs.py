"""Structured logs: one JSON object per line, with the context a call passed in ``extra``.

``log.info("polled source", extra={"source_id": 3, "url": …, "new": 2})`` becomes
``{"at": "…", "level": "INFO", "logger": "monitor.poller", "message": "polled source",
"source_id": 3, "url": "…", "new": 2}``: a log shipper can filter by source or sum counts
without parsing sentences. The worker installs it on the handlers Celery sets up, or, for a
person reading a terminal (``MONITOR_LOG_FORMAT=text``), ``TextFormatter``: one plain line.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

# What every LogRecord carries; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, then its extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``12:04:31 INFO monitor.poller: polled source id=3 new=2 …``: the line a person reads.
    The extras are left out; the message already says what matters to a reader."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, timezone.utc).strftime("%H:%M:%S")
        line = f"{at} {record.levelname} {record.name}: {record.getMessage()}"
        return line + ("\n" + self.formatException(record.exc_info) if record.exc_info else "")


# "Task … received", "Task … succeeded", beat's "Sending due task …", and httpx's line per
# request (the poller logs one line per source with what it found).
ROUTINE_LOGGERS = ("celery.worker.strategy", "celery.app.trace", "celery.beat", "httpx")


def use_format(logger: logging.Logger, *, text: bool = False, log_tasks: bool = True) -> None:
    """Make every handler of ``logger`` write JSON lines (or plain ones); without ``log_tasks``
    only a task's warnings and failures are logged, not each run."""
    for handler in logger.handlers:
        handler.setFormatter(TextFormatter() if text else JsonFormatter())
    for name in ROUTINE_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if log_tasks else logging.WARNING)
