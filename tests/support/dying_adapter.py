"""Adapters that break the process parsing their body, for the child-process poll tests
(``tests/db/test_poll_in_child.py``). Importable by name, so a child process unpickles them."""

from __future__ import annotations

import os
import signal
import time

from monitor.sources.rss import RssAdapter


class DyingAdapter(RssAdapter):
    """An RSS adapter whose parse kills its own process, as a crash in a C parser would."""

    kind = "dying"

    def parse(self, body, headers, url):
        os.kill(os.getpid(), signal.SIGKILL)


class HangingAdapter(RssAdapter):
    """An RSS adapter whose parse never ends, as a runaway regular expression would."""

    kind = "hanging"

    def parse(self, body, headers, url):
        time.sleep(3600)
