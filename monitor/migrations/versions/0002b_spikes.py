"""spike episodes (start, peak, end, kind, explanation, expected by reviewer) and spike alert claims

Revision ID: 0002_spikes
Revises: 0002_digest
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_spikes"
down_revision = "0002_digest"
branch_labels = None
depends_on = None

SPIKE_COLUMNS = [
    sa.Column("kind", sa.String(length=32), nullable=False, server_default="burst"),
    sa.Column("p_value", sa.Float(), nullable=True),
    sa.Column("peak_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("peak_count", sa.Integer(), nullable=True),
    sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("total", sa.Integer(), nullable=True),
    sa.Column("explanation", sa.Text(), nullable=True),
    sa.Column("expected_by_reviewer", sa.Boolean(), nullable=False, server_default=sa.false()),
]


def upgrade() -> None:
    with op.batch_alter_table("spike") as batch:
        for column in SPIKE_COLUMNS:
            batch.add_column(column)
    op.create_table(
        "spikealert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spike_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["spike_id"], ["spike.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("spike_id", "channel"),
    )
    op.create_index("ix_spikealert_spike_id", "spikealert", ["spike_id"])
    op.create_index("ix_spikealert_status", "spikealert", ["status"])


def downgrade() -> None:
    op.drop_index("ix_spikealert_status", table_name="spikealert")
    op.drop_index("ix_spikealert_spike_id", table_name="spikealert")
    op.drop_table("spikealert")
    with op.batch_alter_table("spike") as batch:
        for column in reversed(SPIKE_COLUMNS):
            batch.drop_column(column.name)
