"""digest: per-recipient timezone, web subscriptions, unsubscribe, retry backoff

Revision ID: 0002_digest
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_digest"
down_revision = "0001"
branch_labels = None
depends_on = None

# The digest selects a local day's mentions by this expression; indexing it keeps the
# daily aggregates to an index range scan instead of a pass over every mention.
MENTION_AT_INDEX = "ix_mention_at"


def upgrade() -> None:
    with op.batch_alter_table("recipient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(), server_default="config", nullable=False))
        batch_op.add_column(sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("digestdelivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(MENTION_AT_INDEX, "mention", [sa.text("coalesce(published_at, fetched_at)")])


def downgrade() -> None:
    op.drop_index(MENTION_AT_INDEX, table_name="mention")
    with op.batch_alter_table("digestdelivery", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("recipient", schema=None) as batch_op:
        batch_op.drop_column("unsubscribed_at")
        batch_op.drop_column("origin")
        batch_op.drop_column("timezone")
