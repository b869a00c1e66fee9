"""The per-source keys of issue 16 (``proxy``, ``history``) synced from the config into ``Source``.

``store.sync_watchlist`` syncs a source's url, name and kind; ``sync_source_options`` runs
right after it in the same transaction and sets the rest, so that a key removed from the file
is cleared on the row too. Web-added sources keep what the admin gave them.
"""

from __future__ import annotations

from sqlmodel import Session, select

from monitor.core.config_file import Watchlist
from monitor.core.models import Source

DEFAULT_HISTORY = 100  # Telegram posts read back on a channel's first poll when ``history`` is unset


def sync_source_options(session: Session, watchlist: Watchlist) -> None:
    """Copy each configured source's ``proxy`` and ``history`` onto its row."""
    wanted = {entry.url: entry for entry in watchlist.sources}
    if not wanted:
        return
    for source in session.exec(select(Source).where(Source.url.in_(list(wanted)))):
        if source.origin == "web":
            continue
        entry = wanted[source.url]
        source.proxy, source.history = entry.proxy, entry.history
        session.add(source)
    session.flush()


def history_depth(source_history: int | None) -> int:
    """The Telegram history depth of a source (its ``history`` key, or the default)."""
    return DEFAULT_HISTORY if source_history is None else source_history
