"""What every command that touches the database does first: validate the config, upgrade the
schema, sync the config into it. A bad config stops the command with one line, exit 2.

Imports only Typer at the top: ``monitor --help`` must not pay for the config layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from monitor.core.config_file import Watchlist


def fail(message: str, code: int = 2) -> None:
    """Print one line to stderr and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_config(config: Path | None) -> Watchlist | None:
    """The validated watchlist, or None when the default config file is absent."""
    from monitor.core.config_file import ConfigError, load_watchlist
    from monitor.core.settings import get_settings

    settings = get_settings()
    path = config or settings.config
    if config is None and not path.exists() and "config" not in settings.model_fields_set:
        typer.echo(f"warning: {path} not found; running with no people or sources", err=True)
        return None
    try:
        return load_watchlist(path)
    except ConfigError as exc:
        fail(str(exc))


def prepare(config: Path | None, allow_empty: bool = False) -> Watchlist | None:
    """Validate the config, upgrade the database, sync the config into it.

    A config that would stop every person or every source is refused (one line, exit 2)
    unless ``allow_empty`` or ``MONITOR_ALLOW_EMPTY_CONFIG``; nothing is written then.
    """
    from monitor.core import db
    from monitor.core.config_file import ConfigError
    from monitor.core.settings import get_settings
    from monitor.core.storage.config_sync import sync_config

    watchlist = load_config(config)
    db.upgrade()
    if watchlist is not None:
        try:
            with db.session_scope() as session:
                sync_config(session, watchlist=watchlist, allow_empty=allow_empty or get_settings().allow_empty_config)
        except ConfigError as exc:
            fail(str(exc))
    return watchlist
