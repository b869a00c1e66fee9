"""Structured logs: one JSON object per line, with the context a call passed in ``extra``.

``log.info("polled source", extra={"source_id": 3, "url": …, "new": 2})`` becomes
``{"at": "…", "level": "INFO", "logger": "monitor.poller", "message": "polled source",
"source_id": 3, "url": "…", "new": 2}``: a log shipper can filter by source or sum counts
without parsing sentences. The worker installs it on the handlers Celery sets up.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

# What every LogRecord carries; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, then its extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def use_json(logger: logging.Logger) -> None:
    """Make every handler of ``logger`` write JSON lines."""
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
