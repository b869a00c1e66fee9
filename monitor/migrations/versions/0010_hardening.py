"""hardening: schema for issue 13

Revision ID: 0010_hardening
Revises: 0009_mention_at
"""

import sqlalchemy as sa
from alembic import op  # noqa: F401

revision = "0010_hardening"
down_revision = "0009_mention_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- engineer B (web): server-side session records, ended by logout, password change,
    # deactivation and an absolute lifetime (monitor.core.storage.sessions).
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    # --- end engineer B
    # --- engineer A (poller): a poll's lease on its source, renewed while the batch runs.
    with op.batch_alter_table("source") as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    # --- end engineer A
    # --- engineer C (alerts): when a source first polled successfully and since when a person
    # is tracked; mentions published before either are backfill and open no spike alert.
    with op.batch_alter_table("source") as batch_op:
        batch_op.add_column(sa.Column("first_success_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("tracked_since", sa.DateTime(timezone=True), nullable=True))
    # An existing source first succeeded no later than its first stored mention was fetched.
    op.execute(
        "UPDATE source SET first_success_at = COALESCE("
        "(SELECT MIN(mention.fetched_at) FROM mention WHERE mention.source_id = source.id), last_success_at)"
    )
    # --- end engineer C


def downgrade() -> None:
    # --- engineer C (alerts)
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("tracked_since")
    with op.batch_alter_table("source") as batch_op:
        batch_op.drop_column("first_success_at")
    # --- end engineer C
    # --- engineer A (poller)
    with op.batch_alter_table("source") as batch_op:
        batch_op.drop_column("lease_until")
    # --- end engineer A
    # --- engineer B (web)
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")
    # --- end engineer B
