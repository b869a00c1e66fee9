"""One HTTP exchange as WARC records (``warcio``), with credentials replaced by a marker.

``records(exchange)`` gives a request record and a response record, each a gzip member of
its own (as ``WARCWriter(gzip=True)`` writes them), linked by ``WARC-Concurrent-To``. What
was changed from the bytes exchanged is named in ``Records.transform`` and in a
``Monitor-Transformation`` header of both records (Berkeley Protocol ¶154):

- ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie`` and API-key headers,
  URL query parameters that carry keys or tokens, and a password in the URL are replaced by
  ``REDACTED``;
- a header name or value that is not ASCII is kept UTF-8 percent-encoded;
- a body the server sent with a ``Content-Encoding`` is kept decoded (the fetcher decodes
  while it enforces the size cap); the original header is kept as ``X-Monitor-Original-…``.

A body already captured (``revisit_of``) is written as a WARC revisit record
(identical-payload-digest profile) instead of being stored again.

``message_records(message)`` does the same for one WebSocket message (a stream's frame):
the handshake's HTTP request as a request record, the message's bytes as a ``resource``
record whose target URI is the stream's endpoint, credentials replaced alike.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

REDACTED = "[redacted by monitor]"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-goog-api-key",
        "x-csrf-token",
    }
)
# Query parameter names that carry a credential: YouTube's ``key``, OAuth's ``access_token``, …
_SECRET_PARAM = re.compile(
    r"(^|[_\-.])(key|apikey|token|secret|password|passwd|pass|auth|sig|signature|session|sid|code)($|[_\-.])|api_?key|token|secret|passw",
    re.IGNORECASE,
)
_ENCODING_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
_UNSAFE = re.compile(r"[\r\n\x00]")
_HEADER_SAFE = "".join(chr(c) for c in range(32, 127) if chr(c) != "%")


@dataclass
class Exchange:
    """What was sent and received; ``body`` as the fetcher read it (decoded)."""

    url: str
    status: int
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    method: str = "GET"
    captured_at: datetime | None = None


@dataclass
class Message:
    """One WebSocket message as received (``body``: its bytes after the WebSocket layer) and the
    handshake request that opened its connection; ``transform`` names what that layer changed."""

    url: str
    body: bytes
    request_headers: dict[str, str] = field(default_factory=dict)
    method: str = ""  # who captured and how ("monitor 0.1.0 jetstream"), kept in the record
    transform: str = ""
    content_type: str = "application/json"
    captured_at: datetime | None = None


@dataclass
class Revisit:
    """The capture an identical body was first stored with."""

    url: str
    captured_at: datetime
    payload_sha256: str


@dataclass
class Records:
    request: bytes
    response: bytes
    url: str  # the target URI as recorded (credentials replaced)
    transform: str  # "" when the records hold exactly what was exchanged
    payload_sha256: str


def scrub_url(url: str) -> tuple[str, list[str]]:
    """``url`` with credential query values and a URL password replaced; the names replaced."""
    parts = urlsplit(url)
    replaced: list[str] = []
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:{quote(REDACTED)}@{host}"
            replaced.append("url password")
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        name, equals, value = pair.partition("=")
        if equals and value and _SECRET_PARAM.search(unquote(name)):
            pair = f"{name}={quote(REDACTED)}"
            replaced.append(f"query {_printable(unquote(name))}")
        pairs.append(pair)
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(pairs), parts.fragment)), replaced


def scrub_headers(headers: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The headers with credential values replaced (and line breaks dropped); the names replaced."""
    kept, replaced = [], []
    for name, value in headers.items():
        name, value = _UNSAFE.sub("", str(name)), _UNSAFE.sub("", str(value))
        if name.lower() in SECRET_HEADERS:
            kept.append((name, REDACTED))
            replaced.append(f"header {name.title()}")
        elif not (name + value).isascii():  # warcio cannot write some non-ASCII header values: UTF-8 %-encoded
            kept.append((quote(name, safe=_HEADER_SAFE), quote(value, safe=_HEADER_SAFE)))
            replaced.append(f"header {_printable(name.title())} percent-encoded")
        else:
            kept.append((name, value))
    return kept, replaced


def records(exchange: Exchange, *, revisit_of: Revisit | None = None) -> Records:
    """The request and response records of ``exchange`` (see the module docstring)."""
    when = exchange.captured_at or datetime.now(UTC)
    url, url_changes = scrub_url(exchange.url)
    sent, sent_changes = scrub_headers(exchange.request_headers)
    received, received_changes, decoded = _response_headers(exchange)
    changes = url_changes + sent_changes + received_changes + decoded
    transform = "; ".join(sorted(set(changes)))
    common = {"WARC-Date": _warc_date(when), **({"Monitor-Transformation": transform} if transform else {})}
    payload_sha = hashlib.sha256(exchange.body).hexdigest()
    response, response_id = _response(url, exchange, received, common, payload_sha, revisit_of)
    request = _request(url, exchange.method, sent, {**common, "WARC-Concurrent-To": response_id})
    return Records(request=request, response=response, url=url, transform=transform, payload_sha256=payload_sha)


def message_records(message: Message) -> Records:
    """The handshake's request record and the message's ``resource`` record (see the module docstring)."""
    when = message.captured_at or datetime.now(UTC)
    url, url_changes = scrub_url(message.url)
    sent, sent_changes = scrub_headers(message.request_headers)
    changes = url_changes + sent_changes + ([message.transform] if message.transform else [])
    transform = "; ".join(sorted(set(changes)))
    common = {"WARC-Date": _warc_date(when), **({"Monitor-Transformation": transform} if transform else {})}
    writer, out = _writer()
    record = writer.create_warc_record(
        url,
        "resource",
        payload=BytesIO(message.body),
        length=len(message.body),
        warc_content_type=message.content_type,
        warc_headers_dict={**common, **({"Monitor-Method": message.method} if message.method else {})},
    )
    writer.write_record(record)
    concurrent = {**common, "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")}
    request = _request(url, "GET", sent, concurrent)
    payload_sha = hashlib.sha256(message.body).hexdigest()
    return Records(request=request, response=out.getvalue(), url=url, transform=transform, payload_sha256=payload_sha)


def _response_headers(exchange: Exchange) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    headers, replaced = scrub_headers(exchange.response_headers)
    encoding = {name.lower(): value for name, value in headers if name.lower() in _ENCODING_HEADERS}
    kept = [(n, v) for n, v in headers if n.lower() not in _ENCODING_HEADERS]
    kept += [(f"X-Monitor-Original-{name.title()}", value) for name, value in encoding.items()]
    kept.append(("Content-Length", str(len(exchange.body))))
    decoded = (
        [f"body decoded from content-encoding {_printable(encoding['content-encoding'])}"]
        if ("content-encoding" in encoding and encoding["content-encoding"].strip().lower() != "identity")
        else []
    )
    if "transfer-encoding" in encoding:
        decoded.append("transfer-encoding removed")
    return kept, replaced, decoded


def _response(url, exchange, headers, common, payload_sha, revisit_of) -> tuple[bytes, str]:
    http = StatusAndHeaders(_status_line(exchange.status), headers, protocol="HTTP/1.1")
    writer, out = _writer()
    if revisit_of is None:
        record = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=http,
            warc_headers_dict=dict(common),
        )
    else:
        record = writer.create_revisit_record(
            url,
            f"sha256:{revisit_of.payload_sha256}",
            revisit_of.url,
            _warc_date(revisit_of.captured_at),
            http_headers=http,
            warc_headers_dict=dict(common),
        )
    writer.write_record(record)
    return out.getvalue(), record.rec_headers.get_header("WARC-Record-ID")


def _request(url: str, method: str, headers: list[tuple[str, str]], common: dict) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    http = StatusAndHeaders(f"{method} {target} HTTP/1.1", headers, is_http_request=True)
    writer, out = _writer()
    writer.write_record(writer.create_warc_record(url, "request", http_headers=http, warc_headers_dict=common))
    return out.getvalue()


def _writer() -> tuple[WARCWriter, BytesIO]:
    out = BytesIO()
    return WARCWriter(out, gzip=True), out


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _warc_date(when: datetime) -> str:
    return datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None))


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in ";" else "?" for ch in text)[:64]
