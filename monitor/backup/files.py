"""Writing and restoring a whole backup: the database, the config, the secret key, evidence.

The database and the files go through ``monitor.backup.payload`` and ``crypto``; this module
decides where each file comes from and goes to. A restore reads the encrypted file three
times (check, database, files) rather than holding it: memory stays bounded at any size.
"""

from __future__ import annotations

import base64
import filecmp
import os
from collections.abc import Iterator
from itertools import chain
from pathlib import Path, PurePosixPath

from monitor.backup import payload
from monitor.backup.crypto import BackupError, EncryptingWriter, decrypted_chunks
from monitor.core.settings import PRIVATE_FILE_MODE, Settings, private_dir


def evidence_root(settings: Settings) -> Path:
    """The evidence store's folder: the ``evidence_dir`` setting when there is one."""
    return Path(getattr(settings, "evidence_dir", None) or settings.data_dir / "evidence")


def _file_records(settings: Settings, config_path: Path) -> Iterator[dict]:
    if config_path.is_file():
        yield from payload.file_records("config", config_path, config_path.name)
    key = settings.resolved_secret_key().encode()
    yield {
        "kind": "file",
        "role": "secret_key",
        "path": "secret_key",
        "data": base64.b64encode(key).decode(),
        "last": True,
    }
    if evidence_root(settings).is_dir():
        yield from payload.folder_records(evidence_root(settings))


def write_backup(out: Path, *, passphrase: str, settings: Settings, config_path: Path) -> int:
    """Write the encrypted backup to ``out`` (0600, replaced only once complete); returns rows."""
    from monitor.backup.snapshot import database_records, snapshot
    from monitor.core import db

    db.upgrade(settings.database_url)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as sink:
            writer = EncryptingWriter(sink, passphrase)
            with snapshot(settings.database_url) as conn:
                rows = payload.write_records(
                    writer, chain(database_records(conn), _file_records(settings, config_path))
                )
            writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _records(path: Path, passphrase: str) -> Iterator[dict]:
    with path.open("rb") as source:
        yield from payload.read_records(decrypted_chunks(source, passphrase))


def check_backup(path: Path, passphrase: str) -> None:
    """Decrypt and parse the whole backup, writing nothing; ``BackupError`` when it is not whole."""
    ended, first = False, True
    for record in _records(path, passphrase):
        if first and (record["kind"] != "meta" or record.get("format") != payload.FORMAT):
            raise BackupError("the backup is of an unknown format (made by a newer monitor?)")
        first, ended = False, record["kind"] == "end"
        if record["kind"] == "file":
            _destination_name(record)  # a hostile path fails here, before anything is written
    if not ended:
        raise BackupError("the backup is cut short (it has no end record)")


def restore_backup(path: Path, *, passphrase: str, settings: Settings, config_path: Path) -> tuple[int, list[str]]:
    """Check ``path`` whole, restore the database (empty only), then the files; returns
    (rows restored, notes for the user)."""
    from monitor.backup.restore import restore_database
    from monitor.core import db

    check_backup(path, passphrase)
    db.upgrade(settings.database_url)
    rows = restore_database(settings.database_url, _records(path, passphrase))
    sink = _FileSink(
        {"config": config_path.parent, "secret_key": settings.data_dir, "evidence": evidence_root(settings)},
        {"config": config_path.name},
    )
    for record in _records(path, passphrase):
        if record["kind"] == "file":
            sink.add(record)
    return rows, sink.notes


def _destination_name(record: dict) -> PurePosixPath:
    name = PurePosixPath(str(record.get("path", "")))
    if record.get("role") not in payload.ROLES or name.is_absolute() or not name.parts or ".." in name.parts:
        raise BackupError("the backup is damaged (a file has an unsafe name)")
    return name


class _FileSink:
    """Writes restored files piece by piece; a file already there with other bytes is kept and
    the backup's copy goes beside it as ``NAME.restored``."""

    def __init__(self, roots: dict[str, Path], renames: dict[str, str]):
        self.roots, self.renames, self.notes = roots, renames, []
        self._open: tuple[Path, object] | None = None

    def add(self, record: dict) -> None:
        if self._open is None:
            name = self.renames.get(record["role"], str(_destination_name(record)))
            target = self.roots[record["role"]] / name
            private_dir(target.parent)
            staging = target.with_name(target.name + ".restoring")
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
            self._open = (target, os.fdopen(fd, "wb"))
        target, out = self._open
        out.write(base64.b64decode(record["data"]))
        if record.get("last"):
            out.close()
            self._open = None
            self._place(target, target.with_name(target.name + ".restoring"))

    def _place(self, target: Path, staging: Path) -> None:
        if not target.exists():
            os.replace(staging, target)
        elif filecmp.cmp(staging, target, shallow=False):
            staging.unlink()
        else:
            os.replace(staging, target.with_name(target.name + ".restored"))
            self.notes.append(f"kept {target}; the backup's copy is {target.name}.restored beside it")
