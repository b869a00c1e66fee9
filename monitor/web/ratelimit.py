"""Login rate limit: at most ``MAX_FAILURES`` failed logins per client address and per email
within ``WINDOW_SECONDS``; further attempts get 429 without checking the password.

In memory, per process: enough to make online guessing slow; a multi-process deployment
multiplies the budget by the number of web processes.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginLimiter:
    """Counts failures by key (``ip:…`` and ``email:…``) in a sliding window."""

    def __init__(self, *, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        """True when any key has used up its failures in the window."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(key, now)) >= self.max_failures for key in keys)

    def failed(self, *keys: str) -> None:
        """Record one failed attempt against every key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of these keys."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
