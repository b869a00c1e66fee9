"""Helpers of the evidence tests: a config with a preserved person, the sync, stored captures."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import zipfile
from pathlib import Path

from sqlmodel import select
from warcio.archiveiterator import ArchiveIterator

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Mention
from monitor.core.models_evidence import Capture, Preservation, Recheck
from monitor.core.storage.config_sync import sync_config
from tests.support import cli

PEOPLE = """
[[person]]
name = "Vladimir Vorontsov"
aliases = ["Владимир Воронцов", "Vorontsov"]
exclude = ["Vorontsov Palace"]
preserve = true

[[person]]
name = "Anna Sokolova"
"""


def sync(settings, sources: list[str], extra: str = "") -> None:
    blocks = "".join(f'\n[[source]]\nurl = "{url}"\nname = "src{i}"\n' for i, url in enumerate(sources))
    settings.config.write_text(PEOPLE + blocks + extra, encoding="utf-8")
    with db.session_scope() as session:
        sync_config(session, watchlist=load_watchlist(settings.config), allow_empty=True)


def rows(model, *where, order=None) -> list:
    with db.session_scope() as session:
        found = list(
            session.exec(select(model).where(*where).order_by(order or next(iter(model.__table__.primary_key))))
        )
        session.expunge_all()
        return found


def captures(*where) -> list[Capture]:
    return rows(Capture, *where)


def mentions() -> list[Mention]:
    return rows(Mention)


def preservations() -> list[Preservation]:
    return rows(Preservation)


def rechecks() -> list[Recheck]:
    return rows(Recheck)


def warc_records(blob: bytes) -> list:
    """(type, headers, http status line, http headers, body) of each record in ``blob``."""
    found = []
    for record in ArchiveIterator(io.BytesIO(blob)):
        http = record.http_headers
        line = (
            (f"{http.protocol} {http.statusline}" if record.rec_type == "request" else http.statusline)
            if http
            else None
        )
        found.append(
            (
                record.rec_type,
                dict(record.rec_headers.headers),
                line,
                dict(http.headers) if http else {},
                record.content_stream().read(),
            )
        )
    return found


def custody_events() -> list:
    from monitor.core.models_custody import CustodyEvent

    return rows(CustodyEvent)


def monitor_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m monitor ARGS`` as its own process, in the settings fixture's environment."""
    return cli.monitor(*args, timeout=timeout)


def export_and_verify(person: str, tmp_path: Path) -> Path:
    """Export ``person``'s bundle with ``monitor evidence export``, check it with ``monitor
    evidence verify`` (both must succeed) and unpack it; the unpacked bag's folder."""
    out = tmp_path / "bundle.zip"
    exported = monitor_cli("evidence", "export", "--person", person, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    verified = monitor_cli("evidence", "verify", str(out))
    assert verified.returncode == 0 and "\nOK: " in "\n" + verified.stdout, verified.stdout + verified.stderr
    root = tmp_path / "bag"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(root)
    return root


def bundle_lines(root: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (root / "data" / name).read_text(encoding="utf-8").splitlines()]


def plain(blob: bytes) -> bytes:
    """A stored record's bytes uncompressed (each record is a gzip member), to search for a secret in."""
    return gzip.decompress(blob)
