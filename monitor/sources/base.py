"""The types every adapter shares: ``Item``, ``Request``, ``Parsed``, ``Adapter``, ``ParseError``.

An adapter is stateless: ``request(url, cursor, settings)`` says what to GET, ``parse(body,
headers, url)`` turns the 200 body into ``Parsed`` items and, for API sources, the cursor
to store. Fetching, conditional GET and retries stay in ``monitor.ingest.fetch`` and the poller.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import urlsplit

from monitor.text import oneline


class TransportError(Exception):
    """A request failed on its way (the guarded fetch's ``FetchError`` is one); adapters that
    drive requests themselves (a login) catch this without importing the fetch layer."""


class ParseError(Exception):
    """The body is not a feed this adapter can read; the message is one line."""


class CredentialsRequired(ParseError):
    """The source needs an account this monitor has not been given (a settings problem)."""


@dataclass
class Item:
    """One post as a source publishes it, before matching.

    ``guid`` is the per-source dedupe key the poller stores; ``platform_id`` is the
    post's identity across the whole platform (a boost and its original share it).
    """

    guid: str
    url: str | None
    title: str
    text: str
    author: str | None = None
    published_at: datetime | None = None
    platform_id: str | None = None
    kind: str = "rss"
    lang: str | None = None
    reposted_by: str | None = None


@dataclass
class Request:
    """What to GET for one poll: the URL (with any cursor applied) and extra headers.

    ``auth``, when set, supplies credential headers asynchronously through the poller's
    guarded fetch (``headers(fetch)``, ``expired(error)``, ``refresh(fetch)``), e.g. a login.
    """

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: object | None = None


@dataclass
class Parsed:
    """The items of one response and the cursor to store (``None``: keep the old one).

    ``skipped`` counts the entries that could not be read; an ``ItemList`` given as
    ``items`` brings its own count.
    """

    items: list[Item]
    cursor: str | None = None
    min_interval: float | None = None  # seconds the feed asks between polls (RSS ttl, sy:updatePeriod)
    skipped: int = 0

    def __post_init__(self) -> None:
        self.skipped += getattr(self.items, "skipped", 0)


class ItemList(list):
    """Entries converted one by one; ``skipped`` counts those whose conversion failed."""

    skipped: int = 0
    first_error: str | None = None  # the exception's type only: its message may quote the entry's text


def convert_each(raws: Iterable, convert: Callable[[Any], Any]) -> ItemList:
    """``convert`` applied to every raw entry, ``None`` results left out.

    Feed data is untrusted: a date out of range or a number where text belongs must cost
    that one entry, not the feed. A failed entry is skipped and counted (``skipped``
    carries over from ``raws`` when it is an ``ItemList`` too).
    """
    converted = ItemList()
    converted.skipped = getattr(raws, "skipped", 0)
    converted.first_error = getattr(raws, "first_error", None)
    for raw in raws:
        try:
            item = convert(raw)
        except Exception as exc:  # noqa: BLE001 - any surprise in one entry
            converted.skipped += 1
            converted.first_error = converted.first_error or type(exc).__name__
            continue
        if item is not None:
            converted.append(item)
    return converted


class Adapter:
    """Base of all source adapters; subclasses set ``kind`` and override what differs."""

    kind: ClassVar[str] = ""
    conditional: ClassVar[bool] = True  # send ETag / Last-Modified back

    @classmethod
    def handles(cls, url: str) -> bool:
        """True when ``url`` is of the shape this adapter reads (used for ``kind = "auto"``)."""
        return False

    def request(self, url: str, cursor: str | None = None, settings=None) -> Request:
        """The request for the next poll of ``url`` given the stored ``cursor``."""
        return Request(url)

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        """The items in a 200 response body, or ``ParseError`` with one line."""
        raise NotImplementedError

    def explain(self, error: Exception) -> str:
        """The one-line message to record for a failed fetch; adapters add platform advice."""
        return one_line(error)


def http_status(error: Exception) -> int | None:
    """The HTTP status of a ``FetchError`` (its ``status`` attribute, else from its message)."""
    status = getattr(error, "status", None)
    if isinstance(status, int):
        return status
    found = re.match(r"HTTP (\d{3})\b", str(error))
    return int(found.group(1)) if found else None


def iso_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string, or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError):  # 2026-02-30, or 9999-12-31 behind UTC
        return None


def content_hash(text: str) -> str:
    """A stable key for an item that has no id and no link."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def one_line(reason: object, limit: int = 300) -> str:
    """``reason`` as one line of at most ``limit`` characters (``monitor.text.oneline``)."""
    return oneline(reason, limit)


def header(headers: dict[str, str], name: str) -> str:
    """A header value looked up case-insensitively ('' when absent)."""
    name = name.lower()
    return next((v for k, v in headers.items() if k.lower() == name), "")


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of ``url`` with the default port filled in; None when unreadable."""
    try:
        parts = urlsplit(url)
        return (parts.scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(parts.scheme, 0))
    except ValueError:
        return None
