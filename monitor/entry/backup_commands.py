"""``monitor backup`` and ``monitor restore``. Imports only Typer at the top (start-up).

``monitor backup --out FILE --passphrase-stdin`` writes every table (a consistent snapshot),
the config file, the secret key and the evidence folder (when the ``evidence_dir`` setting
names one) encrypted under the passphrase (``monitor.backup.crypto``) to a 0600 file, through a
temporary file beside it so that a failed run leaves no partial backup.

``monitor restore FILE --passphrase-stdin`` decrypts and checks the whole file first, then
restores the database in one transaction (only into an empty database), then the files: a
file already present with other content is kept, and the backup's copy written beside it
as ``NAME.restored``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

MIN_PASSPHRASE = 8
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="TOML config (default: $MONITOR_CONFIG or ./monitor.toml).")
]
PassphraseOpt = Annotated[bool, typer.Option("--passphrase-stdin", help="Read the passphrase from stdin (one line).")]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _line(exc: Exception) -> str:
    """The first line of an error (a database error carries its statement on later lines)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _passphrase(from_stdin: bool) -> str:
    if not from_stdin:
        _fail("pass the passphrase on stdin with --passphrase-stdin")
    passphrase = sys.stdin.readline().rstrip("\r\n")
    if len(passphrase) < MIN_PASSPHRASE:
        _fail(f"passphrase: at least {MIN_PASSPHRASE} characters")
    return passphrase


def _settings(config: Path | None):
    from monitor.core.settings import get_settings, restrict_new_files

    restrict_new_files()
    settings = get_settings()
    return settings, (config or settings.config)


def register(app: typer.Typer) -> None:
    """Add the backup commands to the top-level ``app``."""

    @app.command()
    def backup(
        out: Annotated[Path, typer.Option("--out", help="The encrypted backup file to write.")],
        passphrase_stdin: PassphraseOpt = False,
        config: ConfigOpt = None,
    ) -> None:
        """Write an encrypted, consistent backup of the database, config, secret key and evidence."""
        from sqlalchemy.exc import SQLAlchemyError

        from monitor.backup.crypto import BackupError
        from monitor.backup.files import write_backup

        passphrase = _passphrase(passphrase_stdin)
        settings, config_path = _settings(config)
        try:
            rows = write_backup(out, passphrase=passphrase, settings=settings, config_path=config_path)
        except (BackupError, OSError, SQLAlchemyError) as exc:
            _fail(f"backup to {out}: {_line(exc)}")
        typer.echo(f"wrote {out}: {rows} rows, encrypted")

    @app.command()
    def restore(
        file: Annotated[Path, typer.Argument(help="A file written by `monitor backup`.")],
        passphrase_stdin: PassphraseOpt = False,
        config: ConfigOpt = None,
    ) -> None:
        """Restore a backup into an empty database (and its config, secret key and evidence)."""
        from sqlalchemy.exc import SQLAlchemyError

        from monitor.backup.crypto import BackupError
        from monitor.backup.files import restore_backup

        passphrase = _passphrase(passphrase_stdin)
        settings, config_path = _settings(config)
        try:
            rows, notes = restore_backup(file, passphrase=passphrase, settings=settings, config_path=config_path)
        except (BackupError, OSError, SQLAlchemyError) as exc:
            _fail(f"restore from {file}: {_line(exc)}")
        for note in notes:
            typer.echo(note)
        typer.echo(f"restored {rows} rows from {file}")
