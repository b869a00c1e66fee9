"""``monitor poll --once``: every enabled source polled once, then spikes refreshed and alerted."""

from __future__ import annotations

import gc

from monitor.core.settings import get_settings
from monitor.ingest import parse_process
from monitor.ingest.parse_process import ParseProcess
from monitor.ingest.poller import PollResult, poll_enabled_once

# Allocations between two young collections. A poll makes millions of short-lived objects
# (parsed items, rows); at Python's 700 the collector ran thousands of times a first poll
# of 20,000 items, about a tenth of its CPU (issue 15).
POLL_GC_THRESHOLD = 50_000


def poll_all_once(*, progress: bool = False, children: ParseProcess | None = None) -> list[PollResult]:
    """Poll every enabled source once; when anything new was stored, refresh spikes (and alert).

    ``children``: where bodies are parsed and matched (``monitor poll --once``), else here."""
    results = poll_enabled_once(progress=progress, children=children)
    if any(r.new for r in results):
        # Imported here: the detector, SciPy and the alert channels cost an unchanged cycle
        # (nothing new, nothing to refresh) about 0.5 s of start-up (issue 15).
        from monitor.notify.refresh import refresh_spikes

        refresh_spikes()
    return results


def parse_in_child() -> ParseProcess | None:
    """A child process to parse and match in, where this process may have one.

    Started now, before the config sync, when a source was never polled (or there is no
    database yet): its start (imports, the language model: about 1 CPU-s) then runs on the
    other core beside the sync, and the first bodies do not wait for it. Otherwise it starts
    with the first changed body: an unchanged poll, the usual case, never pays for it."""
    if not parse_process.allowed():
        return None
    children = ParseProcess(get_settings().database_url)
    if _first_polls_ahead():
        children.start()
    return children


def _first_polls_ahead() -> bool:
    """Asked before the config is checked, so it writes nothing: no SQLite file is made here."""
    from pathlib import Path

    import sqlalchemy as sa

    from monitor.core import db
    from monitor.core.storage.sources import any_never_polled

    url = sa.engine.make_url(get_settings().database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return True  # no database yet (or one in memory)
    try:
        with db.session_scope() as session:
            return any_never_polled(session)
    except sa.exc.SQLAlchemyError:  # no database or no schema yet: the first poll is ahead
        return True


def spare_the_collector() -> None:
    """For a process that polls once and exits (``monitor poll --once``), not for a long-lived
    one: what is loaded by now (modules, settings, the ORM's mappers) lives as long as the
    command, so it is frozen and no collection walks it again; young collections come less often."""
    gc.freeze()
    gc.set_threshold(POLL_GC_THRESHOLD, *gc.get_threshold()[1:])
