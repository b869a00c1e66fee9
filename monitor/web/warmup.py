"""After warm-up, move the web process's long-lived objects out of the garbage collector's way.

A full (generation 2) collection walks every tracked object — modules, the morphology
dictionaries, the matcher, compiled templates and SQL, about 175,000 objects here — and it
paused whichever page was running for up to ~100 ms, at random. Once ``WARMUP_REQUESTS``
requests have loaded all that, ``gc.freeze()`` moves it to the permanent generation, which
collections skip: the worst pause fell to a few milliseconds. Once per process; cyclic
garbage of requests in flight at that instant is frozen too (a one-off few kilobytes).
"""

from __future__ import annotations

import gc
import threading

from starlette.types import ASGIApp, Receive, Scope, Send

WARMUP_REQUESTS = 50

_lock = threading.Lock()
_served = 0
_frozen = False


def _count_request() -> None:
    global _served, _frozen
    with _lock:
        if _frozen:
            return
        _served += 1
        if _served < WARMUP_REQUESTS:
            return
        _frozen = True
    gc.collect()
    gc.freeze()


class FreezeAfterWarmupMiddleware:
    """Counts HTTP requests; after the ``WARMUP_REQUESTS``-th, freezes the heap once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and not _frozen:
            _count_request()
