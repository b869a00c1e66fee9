"""Where a blob of the evidence store lies: ``<evidence_dir>/<sha[:2]>/<sha>`` (no extension)."""

from __future__ import annotations

import re
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


def blob_path(settings, sha256: str) -> Path:
    """The path of the blob named ``sha256`` (64 lowercase hex digits, else ``ValueError``)."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
    return Path(settings.evidence_dir) / sha256[:2] / sha256


def evidence_dir(settings) -> Path:
    """The store's root folder for these settings (``MONITOR_EVIDENCE_DIR``, or ``<data dir>/evidence``)."""
    return Path(settings.evidence_dir)
