"""The ``monitor`` command line (Typer). Each command is a thin shell over one module.

Every command that touches the database first upgrades it to the current schema and
syncs the config into it (``prepare``). A bad config stops the command with one line
on stderr and exit status 2; nothing is written.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from monitor.entry.prepare import fail, load_config, prepare  # noqa: F401 - commands and callers use them from here

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Mention monitor for human-rights monitors.")
export_app = typer.Typer(no_args_is_help=True, help="Export stored data.")
spikes_app = typer.Typer(no_args_is_help=True, help="Spike detection.")
digest_app = typer.Typer(no_args_is_help=True, help="The daily digest email.")
users_app = typer.Typer(no_args_is_help=True, help="Reviewer and admin accounts.")
db_app = typer.Typer(no_args_is_help=True, help="The database schema.")
sources_app = typer.Typer(no_args_is_help=True, help="Sources: health, feed discovery, OPML import and export.")
# Command groups of this round's issues live beside their code (each module imports only Typer).
from monitor.entry.backup_commands import register as register_backup  # noqa: E402
from monitor.entry.evidence_commands import evidence_app  # noqa: E402
from monitor.entry.search_commands import search_app  # noqa: E402

register_backup(app)
for sub, name in [(evidence_app, "evidence"), (search_app, "search")]:
    app.add_typer(sub, name=name)
for sub, name in [
    (sources_app, "sources"),
    (export_app, "export"),
    (spikes_app, "spikes"),
    (digest_app, "digest"),
    (users_app, "users"),
    (db_app, "db"),
]:
    app.add_typer(sub, name=name)


def get_settings():
    """The settings, imported when a command runs (``--help`` does not pay for them)."""
    from monitor.core.settings import get_settings as settings

    return settings()


def _empty_watchlist():
    from monitor.core.config_file import Watchlist

    return Watchlist()


ConfigOption = Annotated[
    Optional[Path], typer.Option("--config", help="TOML config (default: $MONITOR_CONFIG or ./monitor.toml).")
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty", help="Accept a config with no person or no source, stopping all that were monitored."
    ),
]


@app.command()
def match(
    input: Annotated[str, typer.Option("--input", help="JSON lines file, or - for stdin.")] = "-",
    from_db: Annotated[
        bool, typer.Option("--from-db", help="Match the people in the database (web-added ones too).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Match JSON lines {"id", "text"} against the config's people (offline), or the database's."""
    from monitor.matching import match_lines

    matcher = _db_matcher(config) if from_db else _config_matcher(config)
    try:
        stream = sys.stdin if input == "-" else open(input, encoding="utf-8")
    except OSError as exc:
        fail(f"--input {input}: {exc.strerror}")
    try:
        with stream:
            for line in match_lines(matcher, stream):
                sys.stdout.write(line + "\n")
    except (ValueError, UnicodeDecodeError) as exc:
        sys.stdout.flush()  # the lines before the bad one stay answered, in order
        fail(f"--input {input}: {exc}")


def _config_matcher(config: Path | None):
    """A matcher for the config file's people; no database."""
    from monitor.matching import Matcher

    return Matcher.from_watchlist(load_config(config) or _empty_watchlist())


def _db_matcher(config: Path | None):
    """A matcher for the active people in the database, after the config is synced into it."""
    from monitor.core import db
    from monitor.core.storage.matcher_cache import matcher_for

    prepare(config)
    with db.session_scope() as session:
        return matcher_for(session)


@app.command()
def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll every source once in this process.")] = False,
    config: ConfigOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    """Poll every configured source once and print what was found."""
    from monitor.entry.polling import parse_in_child, poll_all_once, spare_the_collector
    from monitor.ingest.poll_report import print_summary

    if not once:
        fail("only `monitor poll --once` is supported; the scheduler polls continuously (monitor up)")
    children = parse_in_child()  # started now when a first poll is ahead: its start overlaps the config sync
    try:
        prepare(config, allow_empty)
    except BaseException:
        if children is not None:
            children.abandon()
        raise
    spare_the_collector()
    results = poll_all_once(progress=sys.stderr.isatty(), children=children)
    print_summary(results)


@app.command()
def stream(
    seconds: Annotated[
        Optional[float], typer.Option("--seconds", min=0, help="Stop after N seconds (default: run until stopped).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Consume every enabled stream (Bluesky Jetstream, Mastodon streaming), resuming from the stored cursor."""
    from monitor.ingest.streams.runner import run_streams

    watchlist = prepare(config) or _empty_watchlist()
    raise typer.Exit(run_streams(watchlist.streams, seconds=seconds))


@export_app.command("mentions")
def export_mentions(
    format: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    since: Annotated[Optional[str], typer.Option("--since", help="ISO time; only mentions fetched since.")] = None,
    config: ConfigOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    """Write one record per stored mention to stdout."""
    from monitor.review.export import export_mentions as run_export

    if format not in ("jsonl", "csv"):
        fail(f"--format: expected jsonl or csv, got {format!r}")
    since_at = _parse_since(since)
    prepare(config, allow_empty)
    run_export(sys.stdout, fmt=format, since=since_at)


def _parse_since(since: str | None) -> datetime | None:
    from datetime import timezone

    if since is None:
        return None
    try:
        parsed = datetime.fromisoformat(since)
    except ValueError:
        fail(f"--since: not an ISO date or time: {since!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@spikes_app.command("detect")
def spikes_detect(
    input: Annotated[Path, typer.Option("--input", help="CSV with header timestamp,value.")],
    config: ConfigOption = None,
) -> None:
    """Run the causal spike detector on a CSV series; one JSON line per flagged row."""
    from monitor.spikes import detect_csv

    try:
        for line in detect_csv(input):
            sys.stdout.write(line + "\n")
    except (OSError, ValueError) as exc:
        fail(f"{input}: {exc}")


@digest_app.command("send")
def digest_send(
    day: Annotated[
        Optional[str], typer.Option("--date", help="YYYY-MM-DD (default: yesterday in the digest timezone).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Send again even if already sent, or a day not yet over.")
    ] = False,
    config: ConfigOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    """Send the digest for a day to every recipient (a day not yet over only with --force)."""
    from monitor.notify.digest import send_digests
    from monitor.notify.digest.delivery import NOT_ENDED

    watchlist = prepare(config, allow_empty) or _empty_watchlist()
    try:
        chosen = date.fromisoformat(day) if day else None
    except ValueError:
        fail(f"--date: expected YYYY-MM-DD, got {day!r}")
    report = send_digests(day=chosen, force=force, digest=watchlist.digest)
    for line in report:
        typer.echo(line)
    if any(NOT_ENDED in line for line in report):
        raise typer.Exit(1)


@users_app.command("add")
def users_add(
    email: str,
    role: Annotated[str, typer.Option("--role", help="reviewer or admin.")] = "reviewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    groups: Annotated[
        str | None,
        typer.Option(
            "--groups", help="Comma-separated groups: a reviewer then sees only their people (and people of no group)."
        ),
    ] = None,
    config: ConfigOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    """Create (or update) a user who can log in to the review page."""
    from monitor.core.storage.groups import clean_names, set_groups_of_email
    from monitor.review.users import add_user, password_problem

    if role not in ("reviewer", "admin"):
        fail(f"--role: expected reviewer or admin, got {role!r}")
    if not password_stdin:
        fail("pass the password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if problem := password_problem(password):  # the same rule as the web's (monitor.review.users)
        fail(problem)
    try:
        names = None if groups is None else clean_names(groups.split(","))
    except ValueError as exc:
        fail(f"--groups: {exc}")
    prepare(config, allow_empty)
    created = add_user(email=email, role=role, password=password)
    if names is not None:  # without --groups, an existing user keeps their groups
        set_groups_of_email(email, names)
    typer.echo(
        f"{'created' if created else 'updated'} {role} {email}" + (f" in {len(names)} group(s)" if names else "")
    )


@app.command()
def up(
    demo: Annotated[bool, typer.Option("--demo", help="Also serve bundled sample feeds on loopback.")] = False,
    port: Annotated[int, typer.Option("--port", envvar="PORT", help="Web port.")] = 8000,
    config: ConfigOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    """Start web + worker + scheduler on the embedded default; Ctrl-C stops them all."""
    from monitor.entry.launcher import run_stack

    raise typer.Exit(run_stack(demo=demo, port=port, config=config, allow_empty=allow_empty))


@app.command()
def web(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", envvar="PORT")] = 8000,
    config: ConfigOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    """Serve the review page and API alone."""
    import uvicorn

    prepare(config, allow_empty)
    # The app applies MONITOR_TRUSTED_PROXIES itself; uvicorn's own proxy handling would trust 127.0.0.1 first.
    # Without MONITOR_LOG_TASKS (`monitor up`): no access line per request or static file, no
    # start-up chatter; warnings and server errors still show.
    log_level = "info" if get_settings().log_tasks else "warning"
    uvicorn.run(
        "monitor.web.app:create_app", factory=True, host=host, port=port, log_level=log_level, proxy_headers=False
    )


@sources_app.command("list")
def sources_list(config: ConfigOption = None, allow_empty: AllowEmptyOption = False) -> None:
    """Every source with its health: last success, last error, items per poll, went silent."""
    from monitor.ingest.sources_report import source_lines

    prepare(config, allow_empty)
    for line in source_lines():
        typer.echo(line)


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="A site, page, profile or channel address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Add the first feed found without asking.")] = False,
    config: ConfigOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    """Find the feeds of a site or channel address and append the chosen one as a [[source]]."""
    from monitor.entry.discovery_commands import add_source

    add_source(
        url, yes=yes, path=config or get_settings().config, prepare=lambda: prepare(config, allow_empty), fail=fail
    )


@sources_app.command("import-opml")
def sources_import_opml(
    file: Annotated[Path, typer.Argument(help="An OPML file exported from a feed reader.")],
    config: ConfigOption = None,
) -> None:
    """Append the OPML file's feeds to the config file as [[source]] entries (new URLs only)."""
    from monitor.ingest.sources_report import append_sources
    from monitor.sources.opml import OpmlError

    path = config or get_settings().config
    load_config(path)  # the config must be valid before we add to it
    try:
        added = append_sources(path, file.read_bytes())
    except (OSError, OpmlError) as exc:
        fail(f"{file}: {exc}")
    load_config(path)
    typer.echo(f"added {added} sources to {path}")


@sources_app.command("export-opml")
def sources_export_opml(config: ConfigOption = None) -> None:
    """Write the config's sources as OPML to stdout."""
    from monitor.sources.opml import export_opml

    watchlist = load_config(config) or _empty_watchlist()
    sys.stdout.write(export_opml([s.model_dump() for s in watchlist.sources]))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the current schema and do nothing else."""
    from monitor.core import db

    db.upgrade()
    typer.echo("database is at the current schema")


@app.callback()
def _before_every_command() -> None:
    """New files private from the start, query strings kept out of the logs. Runs before a
    command, not for ``--help``: the help imports nothing but Typer."""
    from monitor.core.logs import hide_query_strings
    from monitor.core.settings import restrict_new_files

    restrict_new_files()
    hide_query_strings(keep=get_settings().log_query_strings)


def main() -> None:
    try:
        app()
    except Exception as exc:
        from pydantic import ValidationError  # late: --help must not pay for pydantic

        if not isinstance(exc, ValidationError):
            raise
        # Settings are read lazily; a bad MONITOR_* value is a one-line error, not a traceback.
        error = exc.errors()[0]
        name = "MONITOR_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
        typer.echo(f"error: environment: {name}: {error['msg']}", err=True)
        raise SystemExit(2) from None
