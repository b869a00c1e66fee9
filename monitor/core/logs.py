"""Structured logs: one JSON object per line, with the context a call passed in ``extra``.

``log.info("polled source", extra={"source_id": 3, "url": …, "new": 2})`` becomes
``{"at": "…", "level": "INFO", "logger": "monitor.ingest.poller", "message": "polled source",
"source_id": 3, "url": "…", "new": 2}``: a log shipper can filter by source or sum counts
without parsing sentences. The worker installs it on the handlers Celery sets up, or, for a
person reading a terminal (``MONITOR_LOG_FORMAT=text``), ``TextFormatter``: one plain line.

Query strings are cut from every line (``hide_query_strings``) unless
``MONITOR_LOG_QUERY_STRINGS=true``: a search URL names the person searched for, and a web
request's query names the person filtered on. ``?q=Vorontsov`` is logged as ``?…``, in our
messages, their ``extra`` values, tracebacks, and the lines of httpx and uvicorn.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

# What every LogRecord carries; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# A query after an absolute URL, or after a path at the start of a word ("GET /review?person=3").
_QUERY = re.compile(r"""((?:\b[A-Za-z][A-Za-z0-9+.-]*://|(?<![^\s"'(<\[=])/)[^\s?#"'<>]*)\?[^\s#"'<>]*""")
HIDDEN_QUERY = "?…"
_hiding = False


def without_query(text: str) -> str:
    """``text`` with the query string of each URL or path in it replaced by ``?…``."""
    return _QUERY.sub(lambda m: m.group(1) + HIDDEN_QUERY, text) if "?" in text else text


def _redact(value):
    """A log argument without query strings: text and URL objects (httpx's) as text, the rest as is."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(v) for v in value) if isinstance(value, list) else tuple(_redact(v) for v in value)
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    return without_query(value if isinstance(value, str) else str(value))


def hide_query_strings(*, keep: bool = False) -> None:
    """Cut query strings from every log record this process makes from now on (unless ``keep``).

    A record factory, so it holds for every logger and handler (httpx, uvicorn's access log,
    Celery), whoever configures them later; ``extra`` values and tracebacks are cut by our
    formatters. Idempotent.
    """
    global _hiding
    if keep or _hiding:
        return
    _hiding = True
    make = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = without_query(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: _redact(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_redact(a) for a in record.args)
        return record

    logging.setLogRecordFactory(factory)


def _extras(record: logging.LogRecord) -> dict:
    found = {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}
    return {key: _redact(value) for key, value in found.items()} if _hiding else found


def _exception_text(formatter: logging.Formatter, exc_info) -> str:
    text = logging.Formatter.formatException(formatter, exc_info)
    return without_query(text) if _hiding else text


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

    def formatException(self, exc_info) -> str:  # noqa: N802 (logging's name)
        return _exception_text(self, exc_info)


class TextFormatter(logging.Formatter):
    """``12:04:31 INFO monitor.ingest.poller: polled source id=3 new=2 …``: the line a person reads.
    The extras are left out; the message already says what matters to a reader."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, timezone.utc).strftime("%H:%M:%S")
        line = f"{at} {record.levelname} {record.name}: {record.getMessage()}"
        return line + ("\n" + self.formatException(record.exc_info) if record.exc_info else "")

    def formatException(self, exc_info) -> str:  # noqa: N802 (logging's name)
        return _exception_text(self, exc_info)


# "Task … received", "Task … succeeded", beat's "Sending due task …", and httpx's line per
# request (the poller logs one line per source with what it found).
# The scheduler's "dispatched due sources" each minute is routine too: a poll that found
# something says so itself.
ROUTINE_LOGGERS = ("celery.worker.strategy", "celery.app.trace", "celery.beat", "httpx", "workers.dispatch")
# Libraries that announce their start-up at INFO (pymorphy3: "Loading dictionaries…", twice
# per worker process); a person at the terminal is told only their warnings.
CHATTY_LIBRARIES = ("pymorphy3",)
# Counts in a record's ``extra`` that say what happened; a record whose counts are all 0 (and
# that carries no error) reports that nothing did: "0 due", "new=0".
EVENT_COUNTS = ("new", "claimed")


class SkipNothingHappened(logging.Filter):
    """Drops the records that report that nothing happened (see ``EVENT_COUNTS``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        counts = [getattr(record, name) for name in EVENT_COUNTS if isinstance(getattr(record, name, None), int)]
        return not counts or any(counts) or bool(getattr(record, "error", None))


def use_format(logger: logging.Logger, *, text: bool = False, log_tasks: bool = True) -> None:
    """Make every handler of ``logger`` write JSON lines (or plain ones); without ``log_tasks``
    only a task's warnings and failures are logged, not each run, nor a line saying nothing
    happened, nor a library's start-up chatter."""
    for handler in logger.handlers:
        handler.setFormatter(TextFormatter() if text else JsonFormatter())
        if not log_tasks and not any(isinstance(f, SkipNothingHappened) for f in handler.filters):
            handler.addFilter(SkipNothingHappened())
    for name in ROUTINE_LOGGERS + CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if log_tasks else logging.WARNING)
