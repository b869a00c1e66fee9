"""``monitor sources add URL [--yes]``: find an address's feeds, let the user choose, append, sync.

Kept apart from ``monitor.entry.cli`` (which registers it) so that the command is one call there.
Feed titles come from the sites: they are printed with control characters replaced, so a
title cannot drive the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from monitor.core.config_append import append_source
from monitor.core.config_file import ConfigError, load_watchlist
from monitor.ingest.addresses import printable
from monitor.ingest.discovery.find import DiscoveryError, discover
from monitor.sources.discovery_page import Found


def add_source(
    url: str, *, yes: bool, path: Path, prepare: Callable[[], object], fail: Callable[[str, int], None]
) -> None:
    """The whole command: ``fail(message, code)`` ends it with one line; ``prepare()`` syncs the config."""
    if path.exists():
        try:
            load_watchlist(path)  # the config must be valid before we add to it
        except ConfigError as exc:
            fail(str(exc), 2)
    try:
        found = discover(url)
    except DiscoveryError as exc:
        fail(str(exc), 1)
    if not found:
        fail(f"no feed found at {printable(url)}", 1)
    typer.echo(f"found {len(found)} feed{'s' if len(found) != 1 else ''}:")
    for number, feed in enumerate(found, 1):
        typer.echo(f"  {number}. {describe(feed)}")
    chosen = found[0] if yes or len(found) == 1 else found[_ask(len(found)) - 1]
    try:
        append_source(path, chosen.url, name=chosen.title)
    except ConfigError as exc:
        fail(str(exc), 1)
    prepare()
    typer.echo(f"added {printable(chosen.url)} to {path}")


def describe(feed: Found) -> str:
    """One printable line: title, address, kind and how it was found."""
    return f"{printable(feed.title, 100)} — {printable(feed.url, 300)} ({feed.kind}, {HOW[feed.how]})"


HOW = {
    "address": "the address itself",
    "link": "announced by the page",
    "platform": "platform rule",
    "path": "well-known path",
}


def _ask(count: int) -> int:
    """The number the user picks, asked again until it is one of 1..count."""
    while True:
        answer = typer.prompt(f"which one (1-{count})", default="1").strip()
        if answer.isdigit() and 1 <= int(answer) <= count:
            return int(answer)
        typer.echo(f"please answer a number from 1 to {count}")
