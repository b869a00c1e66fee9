"""clusters: one bigint key per LSH band, no foreign key or second index on the band table

Revision ID: 0008_clusters
Revises: 0007_spikes

The band layout changes (16 single-value bands keyed by their 64-bit minimum, instead of 32
two-value bands hashed), so the index is rebuilt from the stored mentions: each clustered
mention's bands point at its cluster, the earliest mention first, as ``save_many`` would
have written them. Downgrade leaves the old table empty: exact keys still cluster, and copies
of stories stored before the downgrade start new clusters.
"""

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
    # Imported here: the rebuild is the only part of the migration that needs today's fingerprint.
    from monitor.dedupe.minhash import fingerprint

    insert = sa.text("INSERT INTO clusterband (band, cluster_id) VALUES (:band, :cluster_id) ON CONFLICT DO NOTHING")
    last = 0
    while True:  # in id order, chunk by chunk, so memory does not grow with the archive
        rows = connection.execute(
            sa.text("SELECT id, title, text, cluster_id FROM mention WHERE cluster_id IS NOT NULL AND id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": CHUNK},
        ).all()
        if not rows:
            return
        owners: dict[int, int] = {}
        for _, title, text, cluster_id in rows:
            for band in fingerprint(title or "", text or "").bands():
                owners.setdefault(band, cluster_id)  # the earliest mention owns a band
        if owners:
            connection.execute(insert, [{"band": b, "cluster_id": c} for b, c in sorted(owners.items())])
        last = rows[-1][0]


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
