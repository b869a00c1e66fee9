"""``monitor backup`` and ``monitor restore``. Imports only Typer at the top (start-up)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the backup commands to the top-level ``app``."""
