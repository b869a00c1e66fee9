"""clusters: one bigint key per LSH band, no foreign key or second index on the band table

Revision ID: 0008_clusters
Revises: 0007_spikes

The band layout changes (16 single-value bands keyed by their 64-bit minimum, instead of 32
two-value bands hashed), so the index is rebuilt from the stored mentions: each clustered
mention's bands point at its cluster, the earliest mention first, as ``save_many`` would
have written them. Downgrade leaves the old table empty: exact keys still cluster, and copies
of stories stored before the downgrade start new clusters.
"""

import hashlib
import re
import unicodedata

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0008_clusters"
down_revision = "0007_spikes"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    op.drop_table("clusterband")  # its index and foreign key go with it
    op.create_table(
        "clusterband",
        sa.Column("band", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("band"),
    )
    _rebuild_bands(op.get_bind())


def _rebuild_bands(connection) -> None:
    insert = sa.text("INSERT INTO clusterband (band, cluster_id) VALUES (:band, :cluster_id) ON CONFLICT DO NOTHING")
    last = 0
    while True:  # in id order, chunk by chunk, so memory does not grow with the archive
        rows = connection.execute(
            sa.text(
                "SELECT id, title, text, cluster_id FROM mention WHERE cluster_id IS NOT NULL AND id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": CHUNK},
        ).all()
        if not rows:
            return
        owners: dict[int, int] = {}
        for _, title, text, cluster_id in rows:
            for band in _bands(title or "", text or ""):
                owners.setdefault(band, cluster_id)  # the earliest mention owns a band
        if owners:
            connection.execute(insert, [{"band": b, "cluster_id": c} for b, c in sorted(owners.items())])
        last = rows[-1][0]


# A frozen copy of the band keys as monitor.dedupe.minhash computed them when this migration was
# written: the index it rebuilds must match the bands of that day, whatever the live module
# becomes later. Only what the bands need is kept (no exact key, no signature).
_NUM_PERM = 64
_BANDS = 16
_BAND_BITS = 59
_SHINGLE = 3
_SHORT_WORDS = 20
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_WORDS = re.compile(r"\w+", re.UNICODE)
_REPOST = re.compile(
    r"^\s*(?:(?:reposted|repost|reblogged|shared|forwarded|fwd|rt|via|перепост|репост)\b[^:\n]{0,40}:\s*)+",
    re.IGNORECASE,
)
_SEED = np.random.default_rng(20261123)
_A = _SEED.integers(1, 2**63, size=_NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _SEED.integers(0, 2**63, size=_NUM_PERM, dtype=np.uint64)


def _words(text: str) -> list[str]:
    """The words of ``text`` with case, URLs, repost prefixes and punctuation removed."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _URL.sub(" ", _REPOST.sub("", text))
    return _WORDS.findall(text.replace("ё", "е"))


def _bands(title: str, text: str) -> tuple[int, ...]:
    """The LSH band keys of a post (none for a post under ``_SHORT_WORDS`` words)."""
    head, body = _words(title), _words(text)
    words = body if head and body[: len(head)] == head else head + body
    if len(words) < _SHORT_WORDS:
        return ()
    grams = {" ".join(words[i : i + _SHINGLE]) for i in range(max(1, len(words) - _SHINGLE + 1))}
    digests = [int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=4).digest(), "little") for g in grams]
    shingles = np.array(sorted(digests), dtype=np.uint64)
    with np.errstate(over="ignore"):
        minima = (np.outer(shingles, _A) + _B).min(axis=0)  # multiply-shift hashing mod 2**64
    keys = (np.arange(_BANDS, dtype=np.uint64) << np.uint64(_BAND_BITS)) | (
        minima[:_BANDS] >> np.uint64(64 - _BAND_BITS)
    )
    return tuple(keys.tolist())


def downgrade() -> None:
    op.drop_table("clusterband")
    op.create_table(
        "clusterband",
        sa.Column("band_no", sa.SmallInteger(), nullable=False),
        sa.Column("band_hash", sa.BigInteger(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["cluster.id"]),
        sa.PrimaryKeyConstraint("band_no", "band_hash"),
    )
    op.create_index("ix_clusterband_cluster_id", "clusterband", ["cluster_id"])
