"""``monitor search …``. Imports only Typer at the top (start-up)."""

from __future__ import annotations

import typer

search_app = typer.Typer(no_args_is_help=True, help="Search providers driven by the watch list.")
