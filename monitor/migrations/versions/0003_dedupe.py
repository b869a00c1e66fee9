"""dedupe: platform identity, sightings, the LSH band index of clusters, poll stats, heartbeat

Revision ID: 0003_dedupe
Revises: 0002_sources
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0003_dedupe"
down_revision = "0002_sources"
branch_labels = None
depends_on = None


# SQLite rebuilds ``mention`` from its reflected definition, and SQLAlchemy cannot reflect an
# index on an expression: ix_mention_at (0002_digest) is dropped before the rebuild and made
# again after it, so the rebuild neither loses it (as it once did, see 0009_mention_at) nor warns.
# A frozen copy per migration: migrations share no code that could change under them.
MENTION_AT = "CREATE INDEX ix_mention_at ON mention (coalesce(published_at, fetched_at))"


@contextmanager
def _rebuilding_mention():
    """``op.batch_alter_table("mention")`` that keeps ix_mention_at across a SQLite rebuild."""
    bind = op.get_bind()
    present = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'ix_mention_at'"
    kept = bind.dialect.name == "sqlite" and bind.execute(sa.text(present)).first() is not None
    if kept:
        op.execute("DROP INDEX ix_mention_at")
    with op.batch_alter_table("mention") as batch:
        yield batch
    if kept:
        op.execute(MENTION_AT)


def upgrade() -> None:
    with _rebuilding_mention() as batch:
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
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in ("heartbeat", "source_stats", "clusterband", "sighting"):
        op.drop_table(table)
    with op.batch_alter_table("cluster") as batch:
        batch.drop_column("shingles")
        batch.drop_column("signature")
    with _rebuilding_mention() as batch:
        batch.drop_constraint("uq_mention_identity", type_="unique")
        batch.drop_column("identity")
