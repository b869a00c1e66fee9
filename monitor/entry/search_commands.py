"""``monitor search …``. Imports only Typer at the top (start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

search_app = typer.Typer(no_args_is_help=True, help="Search providers driven by the watch list.")


@search_app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Search every person on every enabled provider now.")] = False,
    config: Annotated[
        Optional[Path], typer.Option("--config", help="TOML config (default: $MONITOR_CONFIG or ./monitor.toml).")
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Accept a config with no person or no source.")
    ] = False,
) -> None:
    """Run every enabled provider for every person now and print a summary per provider.

    Exits 0 when a provider fails: its error is recorded on it (see the coverage page).
    """
    from monitor.entry.prepare import fail, prepare
    from monitor.search.run import run_searches

    if not once:
        fail("only `monitor search run --once` is supported; the scheduler runs searches continuously (monitor up)")
    watchlist = prepare(config, allow_empty)
    enabled = [name for name, entry in (watchlist.search if watchlist else {}).items() if entry.enabled]
    if not enabled:
        typer.echo("no search provider is enabled: add [search.NAME] with enabled = true to the config")
        return
    for summary in run_searches(watchlist.search, everyone=True):
        typer.echo(summary_line(summary))


def summary_line(summary) -> str:
    """One provider's line: searches, results, matched, new, duplicate, failed, and any error."""
    line = (
        f"{summary.name}: {summary.searched} searched, {summary.fetched} results, {summary.matched} matched, "
        f"{summary.new} new, {summary.duplicate} duplicate, {summary.failed} failed"
    )
    return f"{line}; error: {summary.error}" if summary.error else line
