"""dedupe: platform identity, sightings, the LSH band index of clusters, poll stats, heartbeat

Revision ID: 0003_dedupe
Revises: 0002_sources
"""

import sqlalchemy as sa
from alembic import op

import monitor.models

revision = "0003_dedupe"
down_revision = "0002_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention") as batch:
        batch.add_column(sa.Column("identity", sa.Text(), nullable=True))
        batch.create_unique_constraint("uq_mention_identity", ["identity"])
    with op.batch_alter_table("cluster") as batch:
        batch.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("shingles", sa.Integer(), nullable=True))
    op.create_table(
        "sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("reposted_by", sa.Text(), nullable=True),
        sa.Column("seen_at", monitor.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mention_id", "source_id"),
    )
    op.create_index("ix_sighting_mention_id", "sighting", ["mention_id"])
    op.create_index("ix_sighting_source_id", "sighting", ["source_id"])
    op.create_table(
        "clusterband",
        sa.Column("band_no", sa.SmallInteger(), nullable=False),
        sa.Column("band_hash", sa.BigInteger(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["cluster.id"]),
        sa.PrimaryKeyConstraint("band_no", "band_hash"),
    )
    op.create_index("ix_clusterband_cluster_id", "clusterband", ["cluster_id"])
    op.create_table(
        "source_stats",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("new_mentions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("source_id"),
    )
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("beat_at", monitor.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in ("heartbeat", "source_stats", "clusterband", "sighting"):
        op.drop_table(table)
    with op.batch_alter_table("cluster") as batch:
        batch.drop_column("shingles")
        batch.drop_column("signature")
    with op.batch_alter_table("mention") as batch:
        batch.drop_constraint("uq_mention_identity", type_="unique")
        batch.drop_column("identity")
