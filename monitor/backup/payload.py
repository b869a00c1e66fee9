"""What a backup holds, before encryption: zlib-compressed JSON lines, database-neutral.

Records, one per line, in this order::

    {"kind": "meta", "format": 1, "revision": "0020_groups", "dialect": "postgresql", "created_at": …}
    {"kind": "table", "table": "mention", "columns": ["id", …]}    then its rows:
    {"kind": "row", "r": [1, "2026-01-01T00:00:00+00:00", …]}      values in column order
    {"kind": "file", "role": "config"|"secret_key"|"evidence", "path": "a/b.warc", "data": base64, "last": true}
    {"kind": "end", "rows": 1234}

Values are typed by their column: times and dates as ISO 8601, bytes as base64, the rest as
JSON has them; so a PostgreSQL backup restores into SQLite and back. A file comes in pieces
of ``FILE_PIECE`` bytes. The "end" record proves the backup was written to its end.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa

from monitor.backup.crypto import BackupError

FORMAT = 1
FILE_PIECE = 256 * 1024
INFLATE_PIECE = 1 << 20
MAX_LINE = 64 * 1024 * 1024  # one record (a long mention, a file piece) is far smaller
ROLES = ("config", "secret_key", "evidence")


def encode(value):
    """A column value as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _python_type(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):  # UTCDateTime says "object"; its impl knows
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def decoder(column: sa.Column):
    """A function turning the JSON form of ``column``'s values back into Python values."""
    kind = _python_type(column)
    if kind is datetime:
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if kind is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    if kind is bytes:
        return lambda v: None if v is None else base64.b64decode(v, validate=True)
    return lambda v: v


def table_records(conn: sa.Connection, table: sa.Table) -> Iterator[dict]:
    """The "table" record of ``table`` and a "row" record per row, in primary-key order."""
    yield {"kind": "table", "table": table.name, "columns": [c.name for c in table.columns]}
    ordered = sa.select(table).order_by(*table.primary_key.columns)
    for row in conn.execution_options(stream_results=True, yield_per=1000).execute(ordered):
        yield {"kind": "row", "r": [encode(v) for v in row]}


def file_records(role: str, path: Path, name: str) -> Iterator[dict]:
    """The "file" records of the file at ``path``, stored under ``name``."""
    with path.open("rb") as source:
        piece = source.read(FILE_PIECE)
        while True:
            following = source.read(FILE_PIECE)
            yield {
                "kind": "file",
                "role": role,
                "path": name,
                "data": base64.b64encode(piece).decode(),
                "last": not following,
            }
            if not following:
                return
            piece = following


def folder_records(root: Path) -> Iterator[dict]:
    """Every file under ``root`` as "evidence" records, by its path relative to ``root``."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield from file_records("evidence", path, path.relative_to(root).as_posix())


def write_records(sink: BinaryIO, records: Iterable[dict]) -> int:
    """Compress ``records`` as JSON lines into ``sink``; returns how many rows were written."""
    packer, rows = zlib.compressobj(6), 0
    for record in records:
        rows += record["kind"] == "row"
        sink.write(packer.compress(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"))
    sink.write(packer.compress(json.dumps({"kind": "end", "rows": rows}).encode() + b"\n"))
    sink.write(packer.flush())
    return rows


def read_records(chunks: Iterable[bytes]) -> Iterator[dict]:
    """The records of decrypted ``chunks``, ending with "end"; ``BackupError`` when the
    stream is not what ``write_records`` writes (memory bounded by ``MAX_LINE``)."""
    unpacker, pending = zlib.decompressobj(), b""
    try:
        for chunk in chunks:
            data = unpacker.decompress(chunk, INFLATE_PIECE)  # never more at once, whatever the ratio
            while True:
                pending += data
                if len(pending) > MAX_LINE and b"\n" not in pending:
                    raise BackupError("the backup is damaged (a record is impossibly long)")
                *lines, pending = pending.split(b"\n")
                yield from (_record(line) for line in lines)
                if not unpacker.unconsumed_tail:
                    break
                data = unpacker.decompress(unpacker.unconsumed_tail, INFLATE_PIECE)
    except zlib.error:
        raise BackupError("the backup is damaged (it does not decompress)") from None
    if pending or not unpacker.eof:
        raise BackupError("the backup is damaged (it ends inside a record)")


def _record(line: bytes) -> dict:
    try:
        record = json.loads(line)
    except ValueError:
        raise BackupError("the backup is damaged (a record is not JSON)") from None
    if not isinstance(record, dict) or record.get("kind") not in ("meta", "table", "row", "file", "end"):
        raise BackupError("the backup is damaged (an unknown record)")
    return record
