"""The Bluesky account login post search needs: an async credential provider for one request.

``BlueskyLogin(handle, password, service)`` is put on a search ``Request`` as its ``auth``.
The poller asks it for headers with the same guarded fetch every request uses (address
guard, pinned connection, host gate; no blocking call in the event loop) and, when the
service answers 400 or 401 (atproto's ``ExpiredToken``), for fresh ones: the refresh token
first (``refreshSession``), a new login when that fails too. Tokens are kept per service
and handle for the life of the process; they are only ever sent to ``service``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from monitor.sources.base import CredentialsRequired, TransportError, http_status, one_line

# fetch(url, *, method="GET", json=None, headers=None) -> FetchResult: monitor.ingest.fetch's guarded fetch.
Fetch = Callable[..., Awaitable]
EXPIRED = {400, 401}  # atproto answers an expired access token with 400 ExpiredToken


@dataclass
class _Tokens:
    access: str
    refresh: str | None


_sessions: dict[tuple[str, str], _Tokens] = {}  # (service, handle) → the tokens last issued
# One login at a time per account and event loop: a batch of 25 search sources must not log
# in 25 times at once (the service rate-limits createSession per account).
_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lock(key: tuple[str, str]) -> asyncio.Lock:
    per_loop = _locks.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(key, asyncio.Lock())


class BlueskyLogin:
    """Authorization headers for requests to ``service``, logging in or refreshing as needed."""

    def __init__(self, handle: str, password: str, service: str):
        self.handle, self._password, self.service = handle, password, service.rstrip("/")
        self._key = (self.service, handle)
        self._sent: str | None = None  # the access token this request went out with

    async def headers(self, fetch: Fetch) -> dict[str, str]:
        """The bearer header, from the cached session or a new login."""
        async with _lock(self._key):
            tokens = _sessions.get(self._key) or await self._login(fetch)
        self._sent = tokens.access
        return self._bearer(tokens)

    def expired(self, error: Exception) -> bool:
        """True when ``error`` (a failed request with our token) may mean the token expired."""
        return http_status(error) in EXPIRED

    async def refresh(self, fetch: Fetch) -> dict[str, str]:
        """Fresh headers: the refresh token exchanged, or a new login when that is refused.

        When another request refreshed meanwhile, its tokens are taken as they are.
        """
        async with _lock(self._key):
            tokens = _sessions.get(self._key)
            if tokens and tokens.access != self._sent:
                return self._bearer(tokens)
            _sessions.pop(self._key, None)
            return self._bearer(await self._renewed(fetch, tokens))

    async def _renewed(self, fetch: Fetch, tokens: _Tokens | None) -> _Tokens:
        if tokens and tokens.refresh:
            try:
                return await self._call(fetch, "com.atproto.server.refreshSession", token=tokens.refresh)
            except CredentialsRequired:
                pass
        return await self._login(fetch)

    async def _login(self, fetch: Fetch) -> _Tokens:
        return await self._call(
            fetch, "com.atproto.server.createSession", body={"identifier": self.handle, "password": self._password}
        )

    async def _call(self, fetch: Fetch, method: str, *, body: dict | None = None, token: str | None = None) -> _Tokens:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            answer = await fetch(f"{self.service}/xrpc/{method}", method="POST", json=body, headers=headers)
            tokens = _read_tokens(answer.body)
        except (TransportError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested beyond reason
            raise CredentialsRequired(
                f"Bluesky login for {self.handle} at {self.service} failed: {one_line(exc, 160)}; check the app password"
            ) from None
        _sessions[self._key] = tokens
        return tokens

    @staticmethod
    def _bearer(tokens: _Tokens) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access}"}


def _read_tokens(body: bytes) -> _Tokens:
    """The tokens of a createSession or refreshSession answer; ``ValueError`` when there are none."""
    import json

    document = json.loads(body)
    access = document.get("accessJwt") if isinstance(document, dict) else None
    if not isinstance(access, str) or not access:
        raise ValueError("no accessJwt in the answer")
    refresh = document.get("refreshJwt")
    return _Tokens(access, refresh if isinstance(refresh, str) else None)


def forget_sessions() -> None:
    """Drop every cached token (tests; an app password changed)."""
    _sessions.clear()
