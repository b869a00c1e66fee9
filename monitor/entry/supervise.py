"""The child processes of ``monitor up``: each restarted with backoff when it exits.

A crashed web process must not take the worker and the scheduler with it, and a child that
crashes at once must not be restarted in a tight loop: the wait before a restart doubles
from ``BACKOFF_START`` up to ``BACKOFF_MAX`` seconds, and starts over once a child has run
``HEALTHY_AFTER`` seconds. Every exit and restart is one line on stderr (the terminal of
the person who ran ``monitor up``). Each child runs in a session of its own, so Ctrl-C
reaches only the launcher, which stops them all.
"""

from __future__ import annotations

import subprocess
import sys
import time

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
HEALTHY_AFTER = 60.0
NAMES = ("web", "worker", "beat", "stream")


class Child:
    """One supervised command; ``check()`` restarts it when it has exited and its wait is over."""

    def __init__(self, command: list[str], env: dict):
        self.command, self.env = command, env
        self.name = next((word for word in command if word in NAMES), command[-1])
        self.delay = 0.0
        self.restart_at: float | None = None
        self._start()

    def _start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env, start_new_session=True)
        self.started = time.monotonic()

    def check(self, now: float | None = None) -> None:
        """Note an exit (one line, and when it will be restarted), or restart it when due."""
        now = time.monotonic() if now is None else now
        code = self.process.poll()
        if code is None:
            return
        if self.restart_at is None:
            ran = now - self.started
            self.delay = BACKOFF_START if ran >= HEALTHY_AFTER or not self.delay else min(self.delay * 2, BACKOFF_MAX)
            self.restart_at = now + self.delay
            _say(
                f"monitor up: {self.name} exited with status {code} after {ran:.0f} s; restarting it in {self.delay:g} s"
            )
        elif now >= self.restart_at:
            self.restart_at = None
            self._start()
            _say(f"monitor up: {self.name} restarted (pid {self.process.pid})")

    # The Popen interface the launcher stops children through.
    def poll(self) -> int | None:
        return self.process.poll()

    def terminate(self) -> None:
        self.process.terminate()

    def kill(self) -> None:
        self.process.kill()

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout=timeout)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
