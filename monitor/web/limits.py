"""Request limits that hold before any parsing: the body size, and the shape of numbers and
dates that reach the database.

``BodyLimitMiddleware`` refuses a body over ``MAX_BODY_BYTES`` with 413 before a route, a
form parser or the CSRF check reads it: at once when ``Content-Length`` says so, otherwise as
soon as the streamed bytes pass the limit. Anonymous requests (the login form, JSON sent
without a session) are limited the same way. No route takes uploads, so 1 MiB is generous.

``DbInt`` is the type of every integer a request may carry into SQL (ids, offsets, filters):
ids are PostgreSQL ``INTEGER`` columns, so past 2**31 - 1 the driver raises (and SQLite's past
64 bits): a 500. Outside that range FastAPI answers 422 instead, on both databases alike.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

from fastapi import HTTPException, Path, Request
from pydantic import AfterValidator, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
DB_ID_MAX = 2**31 - 1  # the largest PostgreSQL INTEGER: every id column
MAX_SEARCH_CHARS = 200
TOO_LARGE = "request body too large: at most 1 MiB"
# Dates far outside any mention (year 1 or 9999) overflow when a day is added to them.
MIN_YEAR, MAX_YEAR = 1900, 2999

DbInt = Annotated[int, Field(ge=-DB_ID_MAX, le=DB_ID_MAX)]
DbId = Annotated[int, Path(ge=0, le=DB_ID_MAX)]


def plausible_year(value: date | datetime | None):
    """``value`` when its year is within ``MIN_YEAR``..``MAX_YEAR`` (or it is None); ValueError otherwise."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


PlausibleDate = Annotated[date, AfterValidator(plausible_year)]


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit; an ``HTTPException`` so
    that a route's body parser passes it on as the 413 it is, not as a parse error."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodyLimitMiddleware:
    """413 for any HTTP request whose body is (or would become) larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.max_bytes:
            await _refuse(send)
            return
        started, seen = False, 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise BodyTooLarge()
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:  # a route answered before reading all of it: nothing more can be said
                raise
            await _refuse(send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0  # unparseable: counted as it streams instead
        return 0


async def _refuse(send: Send) -> None:
    body = json.dumps({"detail": TOO_LARGE}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def bounded_path_ids(request: Request) -> None:
    """An app-wide dependency: a path segment that is an integer beyond 64 bits answers 422
    before the route runs (every ``{…_id}`` of every route, present and future)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and value.lstrip("+-").isdigit() and abs(int(value)) > DB_ID_MAX:
            raise HTTPException(status_code=422, detail=f"{name}: at most {DB_ID_MAX}")


def check_cursor(value: str | None) -> str | None:
    """A keyset cursor ``"<iso time>_<id>"`` whose id fits 64 bits and whose year is plausible;
    ValueError otherwise (422 through FastAPI). Malformed cursors pass: they mean the first page."""
    if value and "_" in value:
        stamp, _, ident = value.rpartition("_")
        if ident.lstrip("+-").isdigit() and abs(int(ident)) > DB_ID_MAX:
            raise ValueError(f"cursor id: at most {DB_ID_MAX}")
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            return value
        plausible_year(moment)
    return value


CursorQuery = Annotated[str | None, AfterValidator(check_cursor)]
PlausibleDatetime = Annotated[datetime, AfterValidator(plausible_year)]
