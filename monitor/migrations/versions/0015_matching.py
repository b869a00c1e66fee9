"""matching: schema for issue 22 — the expanded watch list, cached for every process

Revision ID: 0015_matching
Revises: 0014_streams

``matcher_cache``: one row per expanded watch list, keyed by the SHA-256 of the people's
names and of the expansion code (``monitor.core.storage.matcher_cache``); ``data`` is zlib-compressed
JSON, never pickle. A handful of rows are kept; losing them costs one rebuild.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_matching"
down_revision = "0014_streams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matcher_cache",
        sa.Column("key", sa.String(64), nullable=False),
        # models.UTCDateTime stores this type; a migration imports no live code.
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("matcher_cache")
