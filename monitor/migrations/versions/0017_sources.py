"""sources: schema for issue 16 — per-source proxy and Telegram history depth

Revision ID: 0017_sources
Revises: 0016_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_sources"
down_revision = "0016_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("proxy", sa.Text(), nullable=True))
        batch.add_column(sa.Column("history", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_column("history")
        batch.drop_column("proxy")
