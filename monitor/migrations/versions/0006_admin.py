"""admin: web-managed people, sources and recipients; shared login rate limit; queue indexes

Revision ID: 0006_admin
Revises: 0005_language

``origin`` ("config" or "web") on people, their terms and sources: config syncs leave web rows
alone. ``login_failure`` lets every web process count failed logins together. The indexes
back the review queue's filters with keyset order ``(fetched_at, id)``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_admin"
down_revision = "0005_language"
branch_labels = None
depends_on = None

ORIGIN_TABLES = ("person", "alias", "source")
# Single-column indexes replaced by ones a filtered queue page can walk in (fetched_at, id) order.
QUEUE_INDEXES = (
    ("ix_mention_label", "ix_mention_label_queue", ["label", "fetched_at", "id"]),
    ("ix_mention_language", "ix_mention_language_queue", ["language", "review_state", "fetched_at", "id"]),
)


def upgrade() -> None:
    for table in ORIGIN_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="config"))
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_at", "login_failure", ["at"])
    op.create_index("ix_login_failure_key_at", "login_failure", ["key", "at"])
    for old, new, columns in QUEUE_INDEXES:
        op.drop_index(old, table_name="mention")
        op.create_index(new, "mention", columns)


def downgrade() -> None:
    for old, new, columns in QUEUE_INDEXES:
        op.drop_index(new, table_name="mention")
        op.create_index(old, "mention", [columns[0]])
    op.drop_table("login_failure")
    with op.batch_alter_table("source") as batch:
        batch.drop_column("removed_at")
    for table in reversed(ORIGIN_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("origin")
