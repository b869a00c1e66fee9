"""Storing matched items: new mentions only, their sightings, clusters and people.

``save_many`` returns only what is new, so alerts and counts go out from that set alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Cluster, Mention, MentionPerson, Person, Sighting
from monitor.core.storage.bulk import _is_postgresql, insert_batch, insert_ignore
from monitor.core.storage.clusters import assign_clusters
from monitor.dedupe import Fingerprint, fingerprint

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
        "source_id": source_id,
        "guid": mention.guid,
        "url": mention.url,
        "canonical_url": mention.canonical_url,
        "title": mention.title,
        "text": mention.text,
        "author": mention.author,
        "identity": mention.identity,
        "published_at": mention.published_at,
        "fetched_at": now,
        "status": "new",
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
            "mention_id": resolved[key],
            "source_id": key[0],
            "url": m.url,
            "reposted_by": m.reposted_by,
            "seen_at": now,
        }
        for key, m in unique.items()
        if key in resolved
    }
    insert_batch(session, Sighting, [rows[k] for k in sorted(rows)], keys=["mention_id", "source_id"])


def cluster_ids(session: Session, *, keys: set[str], now: datetime) -> dict[str, int]:
    """The id of the cluster for each exact key, creating the missing ones (no LSH bands)."""
    insert_ignore(session, Cluster, [{"key": key, "created_at": now} for key in sorted(keys)], keys=["key"])
    return dict(session.execute(select(Cluster.key, Cluster.id).where(Cluster.key.in_(keys))).all())
