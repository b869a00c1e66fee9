"""Syncing the config file into the database without silently stopping all monitoring.

``store.sync_watchlist`` makes the database follow the config: people, sources and
recipients the file no longer lists are deactivated. An empty or truncated ``monitor.toml``
would therefore stop every search at once, so ``sync_config`` refuses a config that lists no
person (or no source) while the database still follows some from the config, unless the
caller allows it (``--allow-empty``; workers: ``MONITOR_ALLOW_EMPTY_CONFIG=true``).

Every deactivation is logged, by row id only: a person's name or a search URL must not
reach a log. Errors::

    EmptyConfigError(ConfigError)   one line: the file, what it would stop, how to allow it
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core import storage as store
from monitor.core.models import Person, Recipient, Source, utcnow
from monitor.core.config_file import ConfigError, Watchlist

log = logging.getLogger(__name__)

# (what the log line calls a row, model, its "still followed" column); config rows only.
TRACKED = (("person", Person, Person.active), ("source", Source, Source.enabled), ("recipient", Recipient, Recipient.active))


class EmptyConfigError(ConfigError):
    """The config would deactivate every person or every source, and that was not allowed."""


def sync_config(session: Session, *, watchlist: Watchlist, allow_empty: bool) -> None:
    """Refuse an emptying config (unless ``allow_empty``), sync it, log each deactivated row."""
    before = _followed(session)
    refuse_emptying(watchlist, before, allow_empty=allow_empty)
    known = set(session.exec(select(Person.id)))
    store.sync_watchlist(session, watchlist=watchlist)
    _start_tracking(session, known)
    after = _followed(session)
    for what, ids in before.items():
        for row_id in sorted(ids - after[what]):
            log.warning("config sync deactivated a %s", what, extra={f"{what}_id": row_id})


def _start_tracking(session: Session, known: set[int]) -> None:
    """Stamp the people this sync added with ``tracked_since``: what was published about them
    before is backfill, which must not open a spike alert (``monitor.notify.alerts``)."""
    added = [p for p in session.exec(select(Person).where(Person.tracked_since == None)) if p.id not in known]  # noqa: E711
    for person in added:
        person.tracked_since = utcnow()
    session.flush()


def refuse_emptying(watchlist: Watchlist, followed: dict[str, set[int]], *, allow_empty: bool) -> None:
    """Raise ``EmptyConfigError`` when the config lists no person (or no source) but the
    database follows some from the config; ``followed`` is ``_followed``'s answer."""
    if allow_empty:
        return
    for what, plural, listed in (("person", "people", watchlist.people), ("source", "sources", watchlist.sources)):
        count = len(followed[what])
        if count and not listed:
            raise EmptyConfigError(
                f"{watchlist.path}: no [[{what}]] entries: this would stop monitoring the {count} "
                f"{what if count == 1 else plural} it listed before; restore them, or pass --allow-empty "
                f"(workers: MONITOR_ALLOW_EMPTY_CONFIG=true) to stop them on purpose"
            )


def _followed(session: Session) -> dict[str, set[int]]:
    """Ids of the config-managed people, sources and recipients that are active now (stream rows,
    origin "stream", follow the ``[stream.*]`` tables and are not counted here)."""
    return {
        what: set(session.exec(select(model.id).where(model.origin == "config", column == sa.true())))
        for what, model, column in TRACKED
    }
