"""evidence: schema for issue 18 — captures (``monitor.core.models_evidence``)

Revision ID: 0013_evidence
Revises: 0012_spikes
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_evidence"
down_revision = "0012_spikes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("item_sha256", sa.String(64), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("method", sa.Text(), nullable=False),
        # models.UTCDateTime stores this type; a migration imports no live code.
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_capture_sha256", "capture", ["sha256"])
    op.create_index("ix_capture_mention_id", "capture", ["mention_id"])
    op.create_index("ix_capture_captured_at", "capture", ["captured_at"])


def downgrade() -> None:
    op.drop_table("capture")
