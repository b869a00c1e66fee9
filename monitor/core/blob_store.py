"""The content-addressed evidence store: each blob is a file named by the SHA-256 of its bytes.

Identical bytes are one file however often they are captured. Files are written owner-only
(0600 in 0700 folders) to a temporary name and renamed into place, so a reader never sees a
half-written blob, and two writers of the same bytes end with the same file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from monitor.core.blobs import blob_path
from monitor.core.settings import create_private_file, private_dir


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(settings, data: bytes) -> str:
    """Store ``data`` (once) and return its SHA-256."""
    sha = sha256_hex(data)
    path = blob_path(settings, sha)
    if path.exists():
        return sha
    temporary = path.with_name(f".{sha}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        create_private_file(temporary, data)
    except FileNotFoundError:  # the first blob of its folder: folders made owner-only (mkdir's parents are not)
        private_dir(Path(settings.evidence_dir))
        private_dir(path.parent)
        create_private_file(temporary, data)
    os.replace(temporary, path)
    return sha


def read(settings, sha256: str) -> bytes:
    """The blob's bytes; ``FileNotFoundError`` when it is not (or no longer) stored."""
    return blob_path(settings, sha256).read_bytes()


def remove(settings, sha256: str) -> bool:
    """Delete the blob if present; True when a file was removed."""
    try:
        blob_path(settings, sha256).unlink()
    except FileNotFoundError:
        return False
    return True


def stored(settings) -> list[str]:
    """Every blob name in the store (for the orphan sweep and the benchmark)."""
    root = Path(settings.evidence_dir)
    if not root.is_dir():
        return []
    return [p.name for p in root.glob("??/*") if len(p.name) == 64 and not p.name.startswith(".")]
