"""Story-cluster assignment against the LSH index stored in the database.

Every worker reads and writes one index, the ``clusterband`` table: band key (one bigint,
``minhash.BANDS`` per long post) → cluster, primary-keyed, so a lookup is a handful of index
probes whatever the size of the archive, and no worker holds the index in memory. The table
is an index, not a record: it has no foreign key and no second index, each of which would
cost every inserted band row a trigger or another B-tree insert.

A post joins, in order: the cluster whose key is its exact normalised text (or headline,
for short titled items); else, for a long post, the most similar cluster among those that
share an LSH band with it, when the estimated similarity to that cluster's founding post
passes ``MIN_SIMILARITY`` (or ``MIN_CONTAINMENT``: a trimmed copy). The thresholds sit between
the worst copy (0.48) and the closest different story (0.27) of the test corpus
(``tests/fixtures/clusters.py``); else a new cluster, whose bands not yet owned are then
recorded: a band keeps its first owner. A post that joins a cluster records no bands: it is
confirmed against the founding post, which it shares a band with unless their similarity is
far below the thresholds (with 16 bands, ``0.7 ** 16`` = 0.3 % at 0.3), so its bands would
only add index rows, the costly part of the write at a million mentions.

Two workers must not race one story into two clusters: on PostgreSQL the assignment runs
under a transaction-level advisory lock (held until commit, taken after the mention rows are
written so lock order is always the same); SQLite has one writer at a time anyway.

On PostgreSQL a call costs two round trips whatever the batch size: the lock and one lookup
(exact keys, band owners and the owners' signatures at once) sent together in a pipeline, then
one statement writing the new clusters and their bands; none when every post joins. It speaks
to the driver directly: per mention, SQLAlchemy's statement handling cost more than the
queries themselves (``bench/bench_cluster.py``).
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from monitor.core.models import Cluster, ClusterBand
from monitor.dedupe.minhash import Fingerprint, containment, similarity

CLUSTER_LOCK_KEY = 0x4D4F4E5F434C55  # "MON_CLU": the advisory lock of cluster assignment
MIN_SIMILARITY = 0.4
MIN_CONTAINMENT = 0.7
MIN_SIMILARITY_CONTAINED = 0.3
MAX_CANDIDATES = 8


def assign_clusters(session: Session, *, prints: list[Fingerprint], now: datetime) -> list[int]:
    """The cluster id of each fingerprint, in order, creating clusters and bands as needed.

    Posts of the same batch find each other in memory; new clusters and all new bands are
    written at once, a band to its first owner.
    """
    if not prints:
        return []
    store = _Postgres(session) if session.get_bind().dialect.name == "postgresql" else _Portable(session)
    index = store.read(prints)
    targets = [index.place(fp) for fp in prints]
    ids = store.write(index.pending, index.new_bands(), now)
    return [ids[target[1]] if isinstance(target, tuple) else target for target in targets]


class _Index:
    """The stored clusters the batch can join, plus the clusters it creates (``("new", i)``)."""

    def __init__(self, keys: dict, owners: dict, signatures: dict):
        self.keys, self.owners, self.signatures = keys, owners, signatures
        self.pending: list[Fingerprint] = []

    def place(self, fp: Fingerprint):
        """The cluster ``fp`` joins (an id, or ``("new", i)``), creating a pending one if none fits."""
        target = self.keys.get(fp.exact_key)
        if target is None and not fp.short:
            target = self._similar(fp)
        if target is None:
            target = ("new", len(self.pending))
            self.pending.append(fp)
            self.signatures[target] = (fp.signature, fp.shingles)
            self.keys[fp.exact_key] = target
            for band in fp.bands():
                self.owners.setdefault(band, target)  # a band keeps its first owner, as in the table
        return target

    def new_bands(self) -> dict[int, tuple]:
        """The bands the batch adds to the table, each with its new cluster (``("new", i)``)."""
        return {band: owner for band, owner in self.owners.items() if isinstance(owner, tuple)}

    def _similar(self, fp: Fingerprint):
        hits = Counter(self.owners[band] for band in fp.bands() if band in self.owners)
        best, best_score = None, 0.0
        for candidate, _ in hits.most_common(MAX_CANDIDATES):
            signature, shingles = self.signatures.get(candidate, (None, 0))
            if signature is None:
                continue
            score = similarity(fp.signature, signature)
            if _same_story(score, containment(score, fp.shingles, shingles or 0)) and score > best_score:
                best, best_score = candidate, score
        return best


def _same_story(score: float, contained: float) -> bool:
    return score >= MIN_SIMILARITY or (score >= MIN_SIMILARITY_CONTAINED and contained >= MIN_CONTAINMENT)


class _Postgres:
    """The index on PostgreSQL, through the session's own driver connection (same transaction)."""

    # Rows tagged "k" are exact keys, "b" band owners, "s" the owners' signatures (each once).
    READ = (
        "WITH owner AS (SELECT band, cluster_id FROM clusterband WHERE band = ANY(%(bands)s::bigint[]))"
        " SELECT 'k', id, key, NULL::bigint, NULL::bytea, NULL::integer FROM cluster WHERE key = ANY(%(keys)s::varchar[])"
        " UNION ALL SELECT 'b', cluster_id, NULL, band, NULL, NULL FROM owner"
        " UNION ALL SELECT 's', id, NULL, NULL, signature, shingles FROM cluster"
        "  WHERE signature IS NOT NULL AND id IN (SELECT cluster_id FROM owner)"
    )
    # New clusters and their bands in one statement: a band names its new cluster by key.
    WRITE = (
        "WITH new AS (INSERT INTO cluster (key, created_at, signature, shingles)"
        "  SELECT * FROM unnest(%(keys)s::varchar[], %(created)s::timestamptz[], %(signatures)s::bytea[], %(shingles)s::integer[])"
        "  ON CONFLICT DO NOTHING RETURNING id, key),"
        " banded AS (INSERT INTO clusterband (band, cluster_id)"
        "  SELECT b.band, new.id FROM unnest(%(bands)s::bigint[], %(band_keys)s::varchar[]) AS b(band, key)"
        "  JOIN new ON new.key = b.key ORDER BY 1 ON CONFLICT DO NOTHING)"
        " SELECT key, id FROM new"
    )

    def __init__(self, session: Session):
        self.connection = session.connection()
        self.driver = self.connection.connection.driver_connection

    @contextmanager
    def _errors(self, statement: str):
        """Raise the driver's errors as SQLAlchemy's (``OperationalError``…), as every other
        statement of the write does, and mark a lost connection so the pool drops it."""
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            lost = self.connection.dialect.is_disconnect(exc, self.connection.connection, None)
            if lost:
                self.connection.invalidate(exc)
            raise sa.exc.DBAPIError.instance(statement, None, exc, psycopg.Error, connection_invalidated=lost) from exc

    def read(self, prints: list[Fingerprint]) -> _Index:
        """Take the lock, then read: pipelined, so one round trip, and the read still sees
        everything committed by the lock's previous holder (it is a statement of its own)."""
        bands = sorted({band for fp in prints for band in fp.bands()})
        with self._errors(self.READ), self.driver.pipeline():
            self.driver.execute("SELECT pg_advisory_xact_lock(%s)", (CLUSTER_LOCK_KEY,))
            cursor = self.driver.execute(self.READ, {"bands": bands, "keys": sorted({fp.exact_key for fp in prints})})
        keys, owners, signatures = {}, {}, {}
        for kind, cluster_id, key, band, signature, shingles in cursor.fetchall():
            if kind == "k":
                keys[key] = cluster_id
            elif kind == "b":
                owners[band] = cluster_id
            else:
                signatures[cluster_id] = (signature, shingles)
        return _Index(keys, owners, signatures)

    def write(self, pending: list[Fingerprint], bands: dict, now: datetime) -> list[int]:
        """Insert the new clusters and their bands; the new clusters' ids in order."""
        if not pending:
            return []
        owned = sorted((band, pending[owner[1]].exact_key) for band, owner in bands.items())
        params = {
            "keys": [fp.exact_key for fp in pending],
            "created": [now] * len(pending),
            "signatures": [fp.signature for fp in pending],
            "shingles": [fp.shingles or None for fp in pending],
            "bands": [band for band, _ in owned],
            "band_keys": [key for _, key in owned],
        }
        with self._errors(self.WRITE):
            ids = dict(self.driver.execute(self.WRITE, params).fetchall())
            if len(ids) < len(pending):
                ids.update(self._taken(pending, ids, owned))
        return [ids[fp.exact_key] for fp in pending]

    def _taken(self, pending: list[Fingerprint], ids: dict, owned: list) -> dict:
        """Keys a writer without the lock (``store.cluster_ids``) inserted first: join them."""
        taken = sorted({fp.exact_key for fp in pending} - set(ids))
        found = dict(
            self.driver.execute("SELECT key, id FROM cluster WHERE key = ANY(%s::varchar[])", (taken,)).fetchall()
        )
        rows = [(band, found[key]) for band, key in owned if key in found]
        with self.driver.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO clusterband (band, cluster_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", rows
            )
        return found


class _Portable:
    """The index on SQLite (one writer at a time: no lock needed), through SQLAlchemy."""

    def __init__(self, session: Session):
        self.session = session

    def read(self, prints: list[Fingerprint]) -> _Index:
        session = self.session
        keys = dict(
            session.execute(
                sa.select(Cluster.key, Cluster.id).where(Cluster.key.in_({fp.exact_key for fp in prints}))
            ).all()
        )
        wanted, owners = sorted({band for fp in prints for band in fp.bands()}), {}
        for chunk in range(0, len(wanted), 500):
            query = sa.select(ClusterBand.band, ClusterBand.cluster_id).where(
                ClusterBand.band.in_(wanted[chunk : chunk + 500])
            )
            owners.update(session.execute(query).all())
        found = (
            session.execute(
                sa.select(Cluster.id, Cluster.signature, Cluster.shingles).where(
                    Cluster.id.in_(set(owners.values())), Cluster.signature.is_not(None)
                )
            )
            if owners
            else []
        )
        return _Index(keys, owners, {cluster_id: (signature, shingles) for cluster_id, signature, shingles in found})

    def write(self, pending: list[Fingerprint], bands: dict, now: datetime) -> list[int]:
        if not pending:
            return []
        rows = [
            {"key": fp.exact_key, "created_at": now, "signature": fp.signature, "shingles": fp.shingles or None}
            for fp in pending
        ]
        table = Cluster.__table__
        inserted = dict(self.session.execute(sa.insert(table).returning(table.c.key, table.c.id), rows).all())
        ids = [inserted[fp.exact_key] for fp in pending]
        rows = [{"band": band, "cluster_id": ids[owner[1]]} for band, owner in sorted(bands.items())]
        if rows:
            self.session.execute(sqlite.insert(ClusterBand.__table__).on_conflict_do_nothing(), rows)
        return ids
