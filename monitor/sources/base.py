"""The types every adapter shares: ``Item``, ``Request``, ``Parsed``, ``Adapter``, ``ParseError``.

An adapter is stateless: ``request(url, cursor, settings)`` says what to GET, ``parse(body,
headers, url)`` turns the 200 body into ``Parsed`` items and, for API sources, the cursor
to store. Fetching, conditional GET and retries stay in ``monitor.fetch`` and the poller.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import ClassVar


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
    """What to GET for one poll: the URL (with any cursor applied) and extra headers."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Parsed:
    """The items of one response and the cursor to store (``None``: keep the old one)."""

    items: list[Item]
    cursor: str | None = None
    min_interval: float | None = None  # seconds the feed asks between polls (RSS ttl, sy:updatePeriod)


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
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def content_hash(text: str) -> str:
    """A stable key for an item that has no id and no link."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def one_line(reason: object, limit: int = 300) -> str:
    """``reason`` as one line of at most ``limit`` characters."""
    return " ".join(str(reason).split())[:limit]


def header(headers: dict[str, str], name: str) -> str:
    """A header value looked up case-insensitively ('' when absent)."""
    name = name.lower()
    return next((v for k, v in headers.items() if k.lower() == name), "")
