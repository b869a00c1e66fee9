"""poll state for adaptive polling and API cursors

Revision ID: 0002_sources
Revises: 0002_spikes
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_sources"
down_revision = "0002_spikes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("cursor", sa.Text(), nullable=True))
        batch.add_column(sa.Column("interval_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("items_last_poll", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("new_last_poll", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_new_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        for column in ("last_new_at", "new_last_poll", "items_last_poll", "interval_seconds", "cursor"):
            batch.drop_column(column)
