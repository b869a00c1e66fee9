"""Syncing the config file into the database without silently stopping all monitoring.

``sync_watchlist`` makes the database follow the config: people, sources and
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

from monitor.core.config_file import ConfigError, Watchlist
from monitor.core.models import Alias, AuditEntry, Person, Recipient, Source, utcnow
from monitor.core.storage.groups import sync_config_groups

log = logging.getLogger(__name__)

# (what the log line calls a row, model, its "still followed" column); config rows only.
TRACKED = (
    ("person", Person, Person.active),
    ("source", Source, Source.enabled),
    ("recipient", Recipient, Recipient.active),
)


class EmptyConfigError(ConfigError):
    """The config would deactivate every person or every source, and that was not allowed."""


def sync_config(session: Session, *, watchlist: Watchlist, allow_empty: bool) -> None:
    """Refuse an emptying config (unless ``allow_empty``), sync it, log each deactivated row."""
    before = _followed(session)
    refuse_emptying(watchlist, before, allow_empty=allow_empty)
    known = set(session.exec(select(Person.id)))
    sync_watchlist(session, watchlist=watchlist)
    sync_config_groups(session, watchlist.people)  # issue 20: per-case access
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


def sync_watchlist(session: Session, *, watchlist: Watchlist) -> None:
    """Make the config-managed people, terms, sources and recipients match the config.


    Entries missing from the config are deactivated, not deleted, so their mentions and
    history stay. A source keeps its poll state across syncs. Rows an admin added on the web
    (``origin = "web"``) are left alone, unless the config names them: then the config takes
    them over.
    """
    _sync_people(session, watchlist)
    _sync_sources(session, watchlist)
    _sync_recipients(session, watchlist)
    _sync_streams(session, watchlist)
    session.flush()


def _follow_the_file(existing: dict, wanted: dict, flag: str) -> None:
    """The one rule of every sync: a config row the file no longer lists stops being followed
    (``flag`` False: deactivated, never deleted); rows an admin added on the web survive."""
    for key, row in existing.items():
        if row.origin != "web":
            setattr(row, flag, key in wanted)


def _sync_streams(session: Session, watchlist: Watchlist) -> None:
    # One source row per [stream.NAME] stream; rows of origin "stream" are never polled.
    from monitor.core.config_streams import specs
    from monitor.core.storage.streams import sync_stream_sources

    sync_stream_sources(session, specs=specs(watchlist.streams))


def _sync_people(session: Session, watchlist: Watchlist) -> None:
    from monitor.spikes.sensitivity import apply_config as apply_alert_config  # late: spikes imports store
    from monitor.spikes.sensitivity import settings_of as alert_settings

    existing = {p.name: p for p in session.exec(select(Person))}
    wanted = {entry.name: entry for entry in watchlist.people}
    _follow_the_file(existing, wanted, "active")
    for name, person in existing.items():
        if person.origin != "web" and name not in wanted:
            person.preserve = False  # a person the file dropped is no longer preserved
    people, alerts_before = [], {}
    for name, entry in wanted.items():
        person = existing.get(name) or Person(name=name)
        person.origin, person.active = "config", True
        person.private, person.preserve = entry.private, entry.preserve  # issues 16 and 18
        alerts_before[name] = alert_settings(person) if person.id is not None else None
        apply_alert_config(person, entry.alert, entry.mute_until)  # issue 19: sensitivity and mute
        session.add(person)
        people.append((person, entry))
    # One flush for the new people's ids and one read of every alias: per person, both cost a
    # round trip each, 2 s of every command's start-up at 1,000 people (issue 15).
    session.flush()
    _audit_alerts(session, [person for person, _ in people], alerts_before)
    current: dict[int, dict[tuple[str, str], Alias]] = {}
    for alias in session.exec(select(Alias)):
        current.setdefault(alias.person_id, {})[(alias.kind, alias.text)] = alias
    for person, entry in people:
        terms = _matching_terms(entry)
        _sync_aliases(session, person, entry.all_names(), entry.exclude, terms, current=current.get(person.id, {}))


CONFIG_ALERTS = "person_alerts_config"  # the audit action of a sensitivity or mute the file changed


def _audit_alerts(session: Session, people: list[Person], before: dict[str, dict | None]) -> None:
    """An audit entry (no user: the config file) for each person whose alert sensitivity or mute
    the file set, changed or lifted; as the web's changes are (``person_alerts``). A new person
    at the defaults makes none."""
    from monitor.spikes.sensitivity import settings_of as alert_settings  # late, as in _sync_people

    now = utcnow()
    for person in people:
        was, is_now = before.get(person.name), alert_settings(person)
        if was != is_now and (was is not None or is_now != {"alert": "normal", "mute_until": None}):
            session.add(
                AuditEntry(at=now, action=CONFIG_ALERTS, target=f"person:{person.id}", before=was, after=is_now)
            )


# Per-person matching data beyond aliases and excludes lives in Alias rows of these kinds.
TERM_KINDS = ("hashtag", "handle", "context", "language", "gender")  # language: the person's `languages` (issue 22)


def _matching_terms(entry) -> set[tuple[str, str]]:
    terms = {
        (kind, t)
        for kind in TERM_KINDS[:4]
        for t in getattr(entry, kind + "s" if kind != "context" else kind, None) or []
    }
    return terms | ({("gender", entry.gender)} if getattr(entry, "gender", "") else set())


def _sync_aliases(
    session: Session, person: Person, aliases: list[str], excludes: list[str], terms=frozenset(), *, current=None
) -> None:
    """The person's config terms exactly; ``current``: their stored rows by (kind, text), read when None."""
    wanted = {("alias", a) for a in aliases} | {("exclude", e.strip()) for e in excludes if e.strip()} | set(terms)
    if current is None:
        current = {(a.kind, a.text): a for a in session.exec(select(Alias).where(Alias.person_id == person.id))}
    for key, alias in current.items():
        if key not in wanted and alias.origin != "web":  # web terms (and accepted exclusions) stay
            session.delete(alias)
    for kind, text in wanted - set(current):
        session.add(Alias(person_id=person.id, kind=kind, text=text, origin="config"))


def _sync_sources(session: Session, watchlist: Watchlist) -> None:
    existing = {s.url: s for s in session.exec(select(Source))}
    wanted = {entry.url: entry for entry in watchlist.sources}
    _follow_the_file(existing, wanted, "enabled")
    for url, entry in wanted.items():
        source = existing.get(url) or Source(url=url)
        source.name = entry.name or source.name or url
        source.kind = entry.kind
        source.proxy, source.history = entry.proxy, entry.history  # issue 16; a removed key clears
        source.origin, source.enabled, source.removed_at = "config", True, None
        session.add(source)


def _sync_recipients(session: Session, watchlist: Watchlist) -> None:
    existing = {r.email: r for r in session.exec(select(Recipient))}
    wanted = {entry.email: entry for entry in watchlist.recipients}
    _follow_the_file(existing, wanted, "active")  # users' own web subscriptions are not the config's to end
    for email, entry in wanted.items():
        recipient = existing.get(email) or Recipient(email=email)
        recipient.people = entry.people
        recipient.timezone = entry.timezone
        recipient.notify, recipient.language = list(entry.notify) or None, entry.language  # issue 21
        recipient.digest_to = None if entry.digest_to == ["email"] else list(entry.digest_to)
        recipient.origin = "config"
        recipient.active = True  # unsubscribed_at is left alone: an unsubscribe outlives syncs
        session.add(recipient)
