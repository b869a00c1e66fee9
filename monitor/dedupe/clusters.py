"""Story-cluster assignment against the LSH index stored in the database.

Every worker reads and writes one index, the ``clusterband`` table: (band number, band
hash) → cluster, primary-keyed, so a lookup is a handful of index probes whatever the size
of the archive, and no worker holds the index in memory.

A post joins, in order: the cluster whose key is its exact normalised text (or headline,
for short titled items); else, for a long post, the most similar cluster among those that
share an LSH band with it, when the estimated similarity to that cluster's founding post
passes ``MIN_SIMILARITY`` (or ``MIN_CONTAINMENT``: a trimmed copy). The thresholds sit between
the worst copy (0.48) and the closest different story (0.27) of the test corpus
(``tests/fixtures/clusters.py``); else a new cluster. Its
bands are then recorded for the cluster it joined (``ON CONFLICT DO NOTHING``: a band keeps
its first owner).

Two workers must not race one story into two clusters: on PostgreSQL the assignment runs
under a transaction-level advisory lock (held until commit, taken after the mention rows are
written so lock order is always the same); SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from monitor.dedupe.minhash import Fingerprint, containment, similarity
from monitor.models import Cluster, ClusterBand

CLUSTER_LOCK_KEY = 0x4D4F4E5F434C55  # "MON_CLU": the advisory lock of cluster assignment
MIN_SIMILARITY = 0.4
MIN_CONTAINMENT = 0.7
MIN_SIMILARITY_CONTAINED = 0.3
MAX_CANDIDATES = 8


def assign_clusters(session: Session, *, prints: list[Fingerprint], now: datetime) -> list[int]:
    """The cluster id of each fingerprint, in order, creating clusters and bands as needed.

    A handful of statements per call, whatever the number of fingerprints: the exact keys,
    the bands and the candidates' signatures are read at once; posts of the same batch find
    each other in memory; new clusters and all bands are written at once.
    """
    if not prints:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLUSTER_LOCK_KEY})
    index = _Index.read(session, prints)
    targets = [index.place(fp) for fp in prints]
    ids = _create(session, index.pending, now)
    resolved = [ids[t[1]] if isinstance(t, tuple) else t for t in targets]
    bands: dict[tuple[int, int], int] = {}
    for fp, cluster_id in zip(prints, resolved):
        for b in fp.bands():
            bands.setdefault(b, cluster_id)  # a band keeps its first owner, as in the table
    _record_bands(session, sorted(bands.items()))
    return resolved


# On PostgreSQL the bands travel as three arrays in one statement: a batch of 50 posts has
# 1,600 bands, and one cached statement beats 1,600 executemany rows or a 1,600-row VALUES.
_PG_OWNERS = sa.text(
    "SELECT b.band_no, b.band_hash, b.cluster_id FROM clusterband AS b"
    " JOIN unnest(CAST(:nos AS smallint[]), CAST(:hashes AS bigint[])) AS q(no, hash)"
    " ON b.band_no = q.no AND b.band_hash = q.hash"
)
_PG_RECORD = sa.text(
    "INSERT INTO clusterband (band_no, band_hash, cluster_id)"
    " SELECT * FROM unnest(CAST(:nos AS smallint[]), CAST(:hashes AS bigint[]), CAST(:ids AS integer[]))"
    " ON CONFLICT DO NOTHING"
)


def _band_owners(session: Session, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    if not wanted:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_PG_OWNERS, {"nos": [n for n, _ in wanted], "hashes": [h for _, h in wanted]})
        return {(n, h): c for n, h, c in rows}
    band, owners = sa.tuple_(ClusterBand.band_no, ClusterBand.band_hash), {}
    for chunk in range(0, len(wanted), 500):
        query = sa.select(ClusterBand.band_no, ClusterBand.band_hash, ClusterBand.cluster_id).where(band.in_(wanted[chunk : chunk + 500]))
        owners.update({(n, h): c for n, h, c in session.execute(query)})
    return owners


def _record_bands(session: Session, bands: list[tuple[tuple[int, int], int]]) -> None:
    if not bands:
        return
    if session.get_bind().dialect.name == "postgresql":
        columns = {"nos": [n for (n, _), _ in bands], "hashes": [h for (_, h), _ in bands], "ids": [c for _, c in bands]}
        session.execute(_PG_RECORD, columns)
        return
    _insert_ignore(session, ClusterBand, [{"band_no": n, "band_hash": h, "cluster_id": c} for (n, h), c in bands])


class _Index:
    """The stored clusters the batch can join, plus the clusters it creates (``("new", i)``)."""

    def __init__(self, keys: dict, owners: dict, signatures: dict):
        self.keys, self.owners, self.signatures = keys, owners, signatures
        self.pending: list[Fingerprint] = []

    @classmethod
    def read(cls, session: Session, prints: list[Fingerprint]) -> "_Index":
        keys = dict(session.execute(sa.select(Cluster.key, Cluster.id).where(Cluster.key.in_({fp.exact_key for fp in prints}))).all())
        owners = _band_owners(session, sorted({b for fp in prints for b in fp.bands()}))
        found = session.execute(sa.select(Cluster.id, Cluster.signature, Cluster.shingles).where(Cluster.id.in_(set(owners.values())))) if owners else []
        return cls(keys, owners, {cluster_id: (signature, shingles or 0) for cluster_id, signature, shingles in found})

    def place(self, fp: Fingerprint):
        """The cluster ``fp`` joins (an id, or ``("new", i)``), creating a pending one if none fits."""
        target = self.keys.get(fp.exact_key)
        if target is None and not fp.short:
            target = self._similar(fp)
        if target is None:
            target = ("new", len(self.pending))
            self.pending.append(fp)
            self.signatures[target] = (fp.signature, fp.shingles) if fp.signature else (None, 0)
            self.keys[fp.exact_key] = target
        for b in fp.bands():
            self.owners.setdefault(b, target)
        return target

    def _similar(self, fp: Fingerprint):
        hits = Counter(self.owners[b] for b in fp.bands() if b in self.owners)
        best, best_score = None, 0.0
        for candidate, _ in hits.most_common(MAX_CANDIDATES):
            signature, shingles = self.signatures.get(candidate, (None, 0))
            if signature is None:
                continue
            score = similarity(fp.signature, signature)
            if _same_story(score, containment(score, fp.shingles, shingles)) and score > best_score:
                best, best_score = candidate, score
        return best


def _same_story(score: float, contained: float) -> bool:
    return score >= MIN_SIMILARITY or (score >= MIN_SIMILARITY_CONTAINED and contained >= MIN_CONTAINMENT)


def _create(session: Session, pending: list[Fingerprint], now: datetime) -> list[int]:
    """Insert the batch's new clusters; their ids in order (the lock makes the keys ours)."""
    if not pending:
        return []
    rows = [{"key": fp.exact_key, "created_at": now, "signature": fp.signature, "shingles": fp.shingles or None} for fp in pending]
    _insert_ignore(session, Cluster, rows)
    ids = dict(session.execute(sa.select(Cluster.key, Cluster.id).where(Cluster.key.in_([fp.exact_key for fp in pending]))).all())
    return [ids[fp.exact_key] for fp in pending]


def _insert_ignore(session: Session, model, rows: list[dict]) -> None:
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(model.__table__).on_conflict_do_nothing(), rows)  # executemany, cached
