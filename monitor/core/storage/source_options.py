"""The per-source key ``history`` (issue 16): how far back a Telegram channel's first poll reads.

The config sync copies ``proxy`` and ``history`` onto each configured source's row.
"""

from __future__ import annotations

DEFAULT_HISTORY = 100  # Telegram posts read back on a channel's first poll when ``history`` is unset


def history_depth(source_history: int | None) -> int:
    """The Telegram history depth of a source (its ``history`` key, or the default)."""
    return DEFAULT_HISTORY if source_history is None else source_history
