"""Queries and writes. Functions take keyword-only arguments and a session.

Writes are idempotent: unique keys plus ``ON CONFLICT DO NOTHING``, so a redelivered
task or two overlapping workers do no harm. ``save_mentions`` returns only what is new.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from monitor.dedupe import Fingerprint, fingerprint
from monitor.core.storage.clusters import assign_clusters
from monitor.core.models import (
    Alias,
    Cluster,
    Heartbeat,
    Mention,
    MentionPerson,
    Person,
    Recipient,
    Sighting,
    Source,
)
from monitor.core.config_file import Watchlist


def insert_ignore(session: Session, model, rows: list[dict], *, keys: Iterable[str] | None = None):
    """``INSERT … ON CONFLICT DO NOTHING`` for either dialect; returns the inserted primary keys.

    ``keys`` names the unique columns the conflict is judged on (all unique keys when None).
    """
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # executemany over one cached statement (SQLAlchemy batches it into multi-row INSERTs).
    statement = dialect.insert(model.__table__).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
    primary = sa.inspect(model).primary_key[0]
    return list(session.execute(statement.returning(primary), _uniform(rows)).scalars())


def _uniform(rows: list[dict]) -> list[dict]:
    """Rows with the same keys, as executemany needs (a missing key is None)."""
    keys = dict.fromkeys(k for row in rows for k in row)
    return [{k: row.get(k) for k in keys} for row in rows]


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


def _sync_streams(session: Session, watchlist: Watchlist) -> None:
    # One source row per [stream.NAME] stream; rows of origin "stream" are never polled.
    from monitor.ingest.streams.entries import specs
    from monitor.ingest.streams.state import sync_stream_sources

    sync_stream_sources(session, specs=specs(watchlist.streams))


def _sync_people(session: Session, watchlist: Watchlist) -> None:
    from monitor.spikes.sensitivity import apply_config as apply_alert_config  # late: spikes imports store

    existing = {p.name: p for p in session.exec(select(Person))}
    wanted = {entry.name: entry for entry in watchlist.people}
    for name, person in existing.items():
        if person.origin != "web":
            person.active = name in wanted
    for name, entry in wanted.items():
        person = existing.get(name) or Person(name=name)
        person.origin, person.active = "config", True
        apply_alert_config(person, entry.alert, entry.mute_until)  # issue 19: sensitivity and mute
        session.add(person)
        session.flush()
        _sync_aliases(session, person, entry.all_names(), entry.exclude, _matching_terms(entry))


# Per-person matching data beyond aliases and excludes lives in Alias rows of these kinds.
TERM_KINDS = ("hashtag", "handle", "context", "language", "gender")  # language: the person's `languages` (issue 22)


def _matching_terms(entry) -> set[tuple[str, str]]:
    terms = {(kind, t) for kind in TERM_KINDS[:4] for t in getattr(entry, kind + "s" if kind != "context" else kind, None) or []}
    return terms | ({("gender", entry.gender)} if getattr(entry, "gender", "") else set())


def _sync_aliases(session: Session, person: Person, aliases: list[str], excludes: list[str], terms=frozenset()) -> None:
    wanted = {("alias", a) for a in aliases} | {("exclude", e.strip()) for e in excludes if e.strip()} | set(terms)
    current = {(a.kind, a.text): a for a in session.exec(select(Alias).where(Alias.person_id == person.id))}
    for key, alias in current.items():
        if key not in wanted and alias.origin != "web":  # web terms (and accepted exclusions) stay
            session.delete(alias)
    for kind, text in wanted - set(current):
        session.add(Alias(person_id=person.id, kind=kind, text=text, origin="config"))


def _sync_sources(session: Session, watchlist: Watchlist) -> None:
    existing = {s.url: s for s in session.exec(select(Source))}
    wanted = {entry.url: entry for entry in watchlist.sources}
    for url, source in existing.items():
        if source.origin != "web":
            source.enabled = url in wanted
    for url, entry in wanted.items():
        source = existing.get(url) or Source(url=url)
        source.name = entry.name or source.name or url
        source.kind = entry.kind
        source.origin, source.enabled, source.removed_at = "config", True, None
        session.add(source)


def _sync_recipients(session: Session, watchlist: Watchlist) -> None:
    existing = {r.email: r for r in session.exec(select(Recipient))}
    wanted = {entry.email: entry for entry in watchlist.recipients}
    for email, recipient in existing.items():
        if recipient.origin != "web":  # users' own web subscriptions are not the config's to end
            recipient.active = email in wanted
    for email, entry in wanted.items():
        recipient = existing.get(email) or Recipient(email=email)
        recipient.people = entry.people
        recipient.timezone = entry.timezone
        recipient.origin = "config"
        recipient.active = True  # unsubscribed_at is left alone: an unsubscribe outlives syncs
        session.add(recipient)


def active_people(session: Session) -> list[tuple[Person, list[str], list[str]]]:
    """Each active person not paused on the web, with their aliases and exclude phrases."""
    people = list(session.exec(
        select(Person).where(Person.active == True, Person.paused_at.is_(None)).order_by(Person.id)  # noqa: E712
    ))
    aliases = session.exec(select(Alias).where(Alias.person_id.in_([p.id for p in people])))
    by_person: dict[int, tuple[list[str], list[str]]] = {p.id: ([], []) for p in people}
    for alias in aliases:
        if alias.kind in ("alias", "exclude"):
            by_person[alias.person_id][0 if alias.kind == "alias" else 1].append(alias.text)
    return [(p, sorted(by_person[p.id][0]), sorted(by_person[p.id][1])) for p in people]


def person_terms(session: Session) -> dict[int, dict]:
    """Person id → the matcher's extra keywords: hashtags, handles, context (tuples), gender."""
    terms: dict[int, dict] = {}
    for alias in session.exec(select(Alias).where(Alias.kind.in_(TERM_KINDS))):
        person = terms.setdefault(alias.person_id, {})
        if alias.kind == "gender":
            person["gender"] = alias.text
        else:
            key = alias.kind + "s" if alias.kind != "context" else "context"
            person[key] = tuple(sorted((*person.get(key, ()), alias.text)))
    return terms


def enabled_sources(session: Session) -> list[Source]:
    """Every enabled source that is polled, oldest first (stream sources are consumed, not polled)."""
    polled = sa.and_(Source.enabled == True, Source.origin != "stream")  # noqa: E712
    return list(session.exec(select(Source).where(polled).order_by(Source.id)))


def due_sources(session: Session, *, now: datetime, limit: int = 1000) -> list[tuple[int, str]]:
    """(id, url) of enabled sources whose next poll time has come (or was never set)."""
    statement = (
        select(Source.id, Source.url)
        .where(Source.enabled == True, Source.origin != "stream")  # noqa: E712 - streams are not polled
        .where(sa.or_(Source.next_poll_at == None, Source.next_poll_at <= now))  # noqa: E711
        .where(sa.or_(Source.lease_until == None, Source.lease_until <= now))  # noqa: E711 - claimed by a live poll
        .order_by(Source.next_poll_at.nulls_first(), Source.id)
        .limit(limit)
    )
    return [tuple(row) for row in session.exec(statement)]


_TEXT_FIELDS = ("guid", "url", "canonical_url", "title", "text", "author", "identity", "reposted_by", "language")


def storable(value: object) -> str:
    """``value`` as text either database stores: NULs dropped, lone surrogates replaced."""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


@dataclass
class NewMention:
    """A matched item ready to store: the post, the people it names, and how dedupe sees it."""

    guid: str
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    author: str | None
    published_at: datetime | None
    people: dict[str, str]  # person name -> first alias matched
    identity: str | None = None  # platform-wide id (monitor.dedupe.identity)
    reposted_by: str | None = None
    language: str | None = None  # primary subtag, see monitor.ingest.language
    fingerprint: Fingerprint | None = None  # computed from title and text when None

    def __post_init__(self) -> None:
        # Feed text is untrusted and PostgreSQL refuses NUL and lone surrogates in text:
        # made storable here, so every writer is safe and the guid keys stay consistent.
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, storable(value))
        self.language = self.language[:8] if self.language else self.language

    def story(self) -> Fingerprint:
        return self.fingerprint or fingerprint(self.title, self.text)


def save_mentions(session: Session, *, source_id: int, mentions: list[NewMention], now: datetime) -> list[int]:
    """Store the mentions not seen before; return the ids of only the new ones.

    A mention is already seen when the same source has its guid, or any source has its
    canonical URL or platform identity. Either way the source's sighting of it is recorded.
    Concurrent callers are safe: the unique keys decide, not a prior read.
    """
    return save_many(session, batches=[(source_id, mentions)], now=now).get(source_id, [])


def save_many(session: Session, *, batches: list[tuple[int, list[NewMention]]], now: datetime) -> dict[int, list[int]]:
    """``save_mentions`` for many sources at once, in a handful of statements: the new ids per source.

    Order matters for concurrent writers: mentions, then sightings, then (under the cluster
    lock) clusters and people links of the new rows only.
    """
    # Sorted, so that two writers take the unique-key locks in one order (no deadlock).
    unique = dict(sorted((((s, m.guid), m) for s, ms in batches for m in ms), key=lambda pair: pair[0]))
    rows = [_mention_row(m, source_id, now) for (source_id, _), m in unique.items()]
    inserted = _insert_returning(session, Mention, rows)
    _save_sightings(session, unique, _resolve(session, unique, inserted), now)
    if not inserted:
        return {}
    new = [(inserted[key], key[0], m) for key, m in unique.items() if key in inserted]
    clusters = assign_clusters(session, prints=[m.story() for _, _, m in new], now=now)
    _set_clusters(session, [(mention_id, cluster_id) for (mention_id, _, _), cluster_id in zip(new, clusters)])
    named = sorted({name for _, _, m in new for name in m.people})
    person_ids = dict(session.execute(select(Person.name, Person.id).where(Person.name.in_(named))).all())
    links = [
        {"mention_id": mention_id, "person_id": person_ids[name], "alias": alias}
        for mention_id, _, m in new
        for name, alias in m.people.items()
        if name in person_ids
    ]
    insert_batch(session, MentionPerson, links)
    by_source: dict[int, list[int]] = {}
    for mention_id, source_id, _ in sorted(new):
        by_source.setdefault(source_id, []).append(mention_id)
    return by_source


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_batch(session: Session, model, rows: list[dict], *, keys: Iterable[str] | None = None, returning=None):
    """``insert_ignore`` for the poller's large batches of plain columns; the ``returning`` rows.

    On PostgreSQL the batch travels as one array per column through one cached statement
    (``INSERT … SELECT * FROM unnest(…)``): a multi-row VALUES of a thousand rows costs more
    to build and parse than to run. ``returning`` is a tuple of columns (the primary key if None).
    """
    table = model.__table__
    returning = returning or (sa.inspect(model).primary_key[0],)
    if not rows:
        return []
    if not _is_postgresql(session):
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
        return session.execute(statement.returning(*returning), _uniform(rows)).all()
    names = tuple(dict.fromkeys(k for row in rows for k in row))
    statement = _unnest_insert(table, names, tuple(keys or ()), tuple(c.name for c in returning), session.get_bind().dialect)
    return session.execute(statement, {name: [_pg_value(row.get(name)) for row in rows] for name in names}).all()


@functools.lru_cache(maxsize=32)
def _unnest_insert(table: sa.Table, names: tuple[str, ...], keys: tuple[str, ...], returning: tuple[str, ...], dialect):
    columns = ", ".join(f'"{name}"' for name in names)
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names)
    target = f"({', '.join(keys)}) " if keys else ""
    return sa.text(
        f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({arrays})'
        f" ON CONFLICT {target}DO NOTHING RETURNING {', '.join(returning)}"
    )


def _pg_value(value):
    # What UTCDateTime does for bound parameters, which text statements bypass.
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value


def _set_clusters(session: Session, pairs: list[tuple[int, int]]) -> None:
    """Point each new mention at its cluster: one statement (PostgreSQL) or one executemany."""
    if not pairs:
        return
    if _is_postgresql(session):
        session.execute(
            sa.text(
                "UPDATE mention SET cluster_id = u.cluster_id"
                " FROM unnest(CAST(:ids AS integer[]), CAST(:clusters AS integer[])) AS u(id, cluster_id)"
                " WHERE mention.id = u.id"
            ),
            {"ids": [m for m, _ in pairs], "clusters": [c for _, c in pairs]},
        )
        return
    session.execute(sa.update(Mention), [{"id": m, "cluster_id": c} for m, c in pairs])


def _mention_row(mention: NewMention, source_id: int, now: datetime) -> dict:
    return {
        "source_id": source_id, "guid": mention.guid, "url": mention.url, "canonical_url": mention.canonical_url,
        "title": mention.title, "text": mention.text, "author": mention.author, "identity": mention.identity,
        "published_at": mention.published_at, "fetched_at": now, "status": "new",
        "language": mention.language,
    }


def _insert_returning(session: Session, model, rows: list[dict]) -> dict[tuple[int, str], int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: {(source_id, guid): id} of the inserted rows."""
    table = model.__table__
    returned = insert_batch(session, model, rows, returning=(table.c.id, table.c.source_id, table.c.guid))
    return {(source_id, guid): mention_id for mention_id, source_id, guid in returned}


def _resolve(session: Session, unique: dict, inserted: dict) -> dict[tuple[int, str], int]:
    """The stored mention each item is: by (source, guid), else platform identity, else canonical URL.

    Runs after the insert, so a row another writer committed meanwhile is found too.
    """
    rest = {key: m for key, m in unique.items() if key not in inserted}
    if not rest:
        return dict(inserted)
    by_guid = _lookup(session, sa.tuple_(Mention.source_id, Mention.guid), set(rest))
    by_identity = _lookup(session, Mention.identity, {m.identity for m in rest.values() if m.identity})
    by_url = _lookup(session, Mention.canonical_url, {m.canonical_url for m in rest.values() if m.canonical_url})
    found = dict(inserted)
    for (source_id, guid), m in rest.items():
        mention_id = by_guid.get((source_id, guid)) or by_identity.get(m.identity) or by_url.get(m.canonical_url)
        if mention_id:
            found[(source_id, guid)] = mention_id
    return found


def _lookup(session: Session, key, values: set) -> dict:
    """{key value: mention id} for the stored mentions whose ``key`` (a column or tuple) is in ``values``."""
    if not values:
        return {}
    columns = list(key.clauses) if isinstance(key, sa.sql.elements.Tuple) else [key]
    rows = session.execute(sa.select(*columns, Mention.id).where(key.in_(sorted(values))))
    return {(tuple(row[:-1]) if len(columns) > 1 else row[0]): row[-1] for row in rows}


def _save_sightings(session: Session, unique: dict, resolved: dict, now: datetime) -> None:
    """One sighting per (mention, source): where and when it was seen, who reposted it there."""
    rows = {
        (resolved[key], key[0]): {
            "mention_id": resolved[key], "source_id": key[0], "url": m.url, "reposted_by": m.reposted_by, "seen_at": now,
        }
        for key, m in unique.items()
        if key in resolved
    }
    insert_batch(session, Sighting, [rows[k] for k in sorted(rows)], keys=["mention_id", "source_id"])


def cluster_ids(session: Session, *, keys: set[str], now: datetime) -> dict[str, int]:
    """The id of the cluster for each exact key, creating the missing ones (no LSH bands)."""
    insert_ignore(session, Cluster, [{"key": key, "created_at": now} for key in sorted(keys)], keys=["key"])
    return dict(session.execute(select(Cluster.key, Cluster.id).where(Cluster.key.in_(keys))).all())


SPIKE_REFRESH = "spikes"


def claim_spike_refresh(session: Session, *, now: datetime, min_gap_seconds: float) -> bool:
    """True for the one caller that may recompute spikes now: at most once per gap across workers.

    The claim is an upsert on a ``heartbeat`` row that only moves when the last refresh is
    older than the gap, so two workers racing for it cannot both win.
    """
    dialect = postgresql if _is_postgresql(session) else sqlite
    statement = dialect.insert(Heartbeat).values(name=SPIKE_REFRESH, beat_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"beat_at": statement.excluded.beat_at},
        where=Heartbeat.beat_at <= now - timedelta(seconds=min_gap_seconds),
    )
    return session.execute(statement.returning(Heartbeat.name)).first() is not None


def claim_source(session: Session, *, source_id: int, now: datetime, lease_until: datetime) -> bool:
    """Claim a due, unleased source for polling by a conditional UPDATE; True when this caller won it.

    The lease is short and renewed by the running batch (``renew_leases``); the poll's
    write ends it. A worker that dies leaves it to lapse, and the source is due again.
    """
    statement = (
        sa.update(Source)
        .where(Source.id == source_id, Source.enabled == True)  # noqa: E712
        .where(sa.or_(Source.next_poll_at == None, Source.next_poll_at <= now))  # noqa: E711
        .where(sa.or_(Source.lease_until == None, Source.lease_until <= now))  # noqa: E711
        .values(lease_until=lease_until)
    )
    return session.execute(statement).rowcount == 1


def renew_leases(session: Session, *, source_ids: list[int], until: datetime) -> int:
    """Extend the lease of these sources, those still leased only (a written poll ended it); how many."""
    statement = (
        sa.update(Source)
        .where(Source.id.in_(source_ids), Source.lease_until != None)  # noqa: E711
        .values(lease_until=until)
    )
    return session.execute(statement).rowcount
