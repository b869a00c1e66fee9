"""streams: schema for issue 17 — the stream process's lease and each stream's state

Revision ID: 0014_streams
Revises: 0013_evidence

``stream_lease``: one row per deployment-wide claim ("stream"), held by one process and
renewed while it runs. ``stream_state``: per stream source, the time of the last event
consumed (lag), event counters and whether it streams or fell back to polling. The
stream's resume cursor itself lives in ``source.cursor``, written in the same
transaction as the mentions it covers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_streams"
down_revision = "0013_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_lease",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "stream_state",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False, server_default="stream"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.BigInteger(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("source_id"),
    )


def downgrade() -> None:
    op.drop_table("stream_state")
    op.drop_table("stream_lease")
