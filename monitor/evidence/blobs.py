"""Where the evidence store keeps a blob: ``<evidence_dir>/<sha[:2]>/<sha>``.

``evidence_dir`` is the ``MONITOR_EVIDENCE_DIR`` setting, or ``<data dir>/evidence``.
"""

from __future__ import annotations

import re
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


def evidence_dir(settings) -> Path:
    """The store's root folder for these settings."""
    configured = getattr(settings, "evidence_dir", None)
    return Path(configured) if configured else Path(settings.data_dir) / "evidence"


def blob_path(settings, sha256: str) -> Path:
    """The path of the blob named ``sha256`` (64 lower-case hex digits, else ``ValueError``)."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 name: {sha256[:80]!r}")
    return evidence_dir(settings) / sha256[:2] / sha256
