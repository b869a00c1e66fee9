"""``monitor evidence …``: stamp, recheck, export, verify. Imports only Typer at the top (start-up)."""

from __future__ import annotations

import typer

evidence_app = typer.Typer(no_args_is_help=True, help="Evidence: timestamps, re-checks, bundles.")
