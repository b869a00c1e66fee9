"""Per-host politeness: at most ``host_concurrency`` requests at once and at least
``host_min_gap_seconds`` between two request starts to one host, across every worker.

``gate_for(settings)`` gives a ``RedisGate`` when workers share a Redis server (the
production broker) and a ``LocalGate`` otherwise (the embedded default: one worker
machine). Both also take ``pause(host, seconds)`` for a host that answered 429.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from contextlib import asynccontextmanager

from monitor.core.settings import Settings

LEASE_MS = 120_000  # a crashed worker's slot frees itself after this
RETRY_FULL_SECONDS = 0.05

# KEYS: next-start key, active-lease zset. ARGV: gap ms, capacity, lease ms, token.
# Returns the ms to wait before starting, or -1 when every slot is taken.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return -1 end
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], start + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 3600000)
redis.call('ZADD', KEYS[2], start + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]) * 2)
return start - now
"""
_PAUSE = """
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 3600000)
end
return 0
"""


class LocalGate:
    """The gate for one process: semaphores and next-start times per host."""

    def __init__(self, *, concurrency: int, min_gap: float):
        self._gap = min_gap
        self._slots: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(concurrency))
        self._next_start: dict[str, float] = defaultdict(float)

    @asynccontextmanager
    async def slot(self, host: str):
        async with self._slots[host]:
            # The gap counts from when a request really starts, checked again after each wait:
            # a start booked ahead would let every waiter through at once after the event loop
            # was busy (parsing, matching, loading a model) past their booked times.
            while (wait := self._next_start[host] - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            self._next_start[host] = time.monotonic() + self._gap
            yield

    async def pause(self, host: str, seconds: float) -> None:
        self._next_start[host] = max(self._next_start[host], time.monotonic() + seconds)


class RedisGate:
    """The gate shared by every worker through Redis (server time, leases that expire)."""

    def __init__(self, url: str, *, concurrency: int, min_gap: float):
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(url)
        self._capacity, self._gap_ms = concurrency, int(min_gap * 1000)
        self._reserve = self._redis.register_script(_RESERVE)
        self._pause = self._redis.register_script(_PAUSE)

    @staticmethod
    def _keys(host: str) -> list[str]:
        return [f"monitor:host:{host}:next", f"monitor:host:{host}:active"]

    @asynccontextmanager
    async def slot(self, host: str):
        token = uuid.uuid4().hex
        keys = self._keys(host)
        while (wait_ms := await self._reserve(keys=keys, args=[self._gap_ms, self._capacity, LEASE_MS, token])) < 0:
            await asyncio.sleep(RETRY_FULL_SECONDS)
        await asyncio.sleep(wait_ms / 1000)
        try:
            yield
        finally:
            await self._redis.zrem(keys[1], token)

    async def pause(self, host: str, seconds: float) -> None:
        await self._pause(keys=self._keys(host)[:1], args=[int(seconds * 1000)])

    async def close(self) -> None:
        await self._redis.aclose()


def gate_for(settings: Settings) -> LocalGate | RedisGate:
    """The shared Redis gate when workers share Redis, else a gate for this process."""
    options = {"concurrency": settings.host_concurrency, "min_gap": settings.host_min_gap_seconds}
    url = settings.redis_url()
    return RedisGate(url, **options) if url else LocalGate(**options)
