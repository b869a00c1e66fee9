"""``monitor evidence …``: stamp, recheck, export, verify. Imports only Typer at the top (start-up)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer

evidence_app = typer.Typer(no_args_is_help=True, help="Evidence: timestamps, re-checks, bundles.")

_Config = Annotated[
    Path | None, typer.Option("--config", help="TOML config (default: $MONITOR_CONFIG or ./monitor.toml).")
]


@evidence_app.command()
def stamp(config: _Config = None) -> None:
    """Timestamp every capture not yet timestamped, now, at every configured timestamp authority."""
    from monitor.core import db
    from monitor.core.config_file import EvidenceEntry
    from monitor.core.settings import get_settings
    from monitor.entry.prepare import prepare
    from monitor.evidence.stamp import evidence_settings, stamp_pending

    watchlist = prepare(config)
    evidence = evidence_settings(watchlist) if watchlist is not None else EvidenceEntry()
    if not evidence.tsa:
        typer.echo("no timestamp authority configured ([evidence] tsa): nothing stamped")
        return
    with db.session_scope() as session:
        run = stamp_pending(session, settings=get_settings(), evidence=evidence)
    for error in run.errors:
        typer.echo(f"warning: {error}", err=True)
    if run.manifest_id is None and run.errors:
        typer.echo("error: no timestamp authority answered; nothing stamped", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"stamped {run.captures} captures (manifest {run.manifest_id}, {run.tokens} tokens)"
        if run.manifest_id
        else "nothing to stamp"
    )


@evidence_app.command()
def export(
    person: Annotated[str, typer.Option("--person", help="The tracked person's name, as in the config.")],
    out: Annotated[Path, typer.Option("--out", help="The bundle to write (a .zip).")],
    since: Annotated[
        str | None, typer.Option("--since", help="Only mentions fetched since this date (YYYY-MM-DD).")
    ] = None,
    config: _Config = None,
) -> None:
    """Export one person's evidence as a zipped BagIt bag that anyone can verify."""
    from monitor.core import db
    from monitor.core.settings import get_settings
    from monitor.entry.prepare import fail, prepare
    from monitor.evidence.export import ExportError, export_bundle

    start = _since(since) if since else None
    prepare(config)
    try:
        with db.session_scope() as session:
            result = export_bundle(session, get_settings(), person=person, out=out, since=start, actor="cli")
    except ExportError as exc:
        fail(str(exc), code=1)
    typer.echo(
        f"wrote {result.out}: {result.mentions} mentions, {result.captures} captures, {result.tokens} timestamp tokens"
    )


def _since(value: str):
    from datetime import datetime

    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: --since {value!r}: expected a date, YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    return day if day.tzinfo else day.replace(tzinfo=UTC)


@evidence_app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="The exported bundle (.zip).")],
    ca: Annotated[
        Path | None, typer.Option("--ca", help="PEM trust roots for the tokens (default: the bundle's chains).")
    ] = None,
) -> None:
    """Check every hash, every timestamp token and the custody chain; exit 1 naming the first failure."""
    from monitor.evidence.verify import BundleInvalid, verify_bundle

    try:
        result = verify_bundle(bundle, ca_file=ca)
    except BundleInvalid as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        raise typer.Exit(1) from None
    for name in result.unstamped:
        typer.echo(f"note: {name}: captured after the last timestamp run (no token covers it)")
    roots = "; ".join(result.roots) or "none"
    typer.echo(
        f"OK: {result.files} files, {result.tokens} timestamp tokens (roots: {roots}), "
        f"{result.custody_events} custody events"
    )


@evidence_app.command("recheck")
def recheck_command(
    now: bool = typer.Option(
        False, "--now", help="Re-check every preserved mention now, confirming suspected deletions."
    ),
) -> None:
    """Re-check preserved mentions: the due ones, or with --now every one not yet deleted."""
    from monitor.evidence.recheck import run

    summary = run(everything=now)
    found = ", ".join(f"{count} {outcome}" for outcome, count in sorted(summary.outcomes.items())) or "nothing due"
    typer.echo(f"re-checked {summary.checked} preserved mentions: {found}")
