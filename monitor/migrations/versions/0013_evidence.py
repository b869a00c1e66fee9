"""evidence: schema for issue 18 — captures, preserved mentions, re-checks (``monitor.core.models_evidence``),
and ``person.preserve``

Revision ID: 0013_evidence
Revises: 0012_spikes
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_evidence"
down_revision = "0012_spikes"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    # models.UTCDateTime stores this type; a migration imports no live code.
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


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
        _ts("captured_at", nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=True),
        sa.Column("payload_sha256", sa.String(64), nullable=True),
        sa.Column("text_sha256", sa.String(64), nullable=True),
        sa.Column("transform", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_capture_sha256", "capture", ["sha256"])
    op.create_index("ix_capture_mention_id", "capture", ["mention_id"])
    op.create_index("ix_capture_captured_at", "capture", ["captured_at"])
    op.create_index("ix_capture_payload_sha256", "capture", ["payload_sha256"])
    op.create_table(
        "preservation",
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        _ts("requested_at", nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("checks_done", sa.Integer(), nullable=False, server_default="0"),
        _ts("next_check_at"),
        _ts("page_captured_at"),
        _ts("suspected_at"),
        _ts("deleted_at"),
        _ts("edited_at"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.PrimaryKeyConstraint("mention_id"),
    )
    op.create_index("ix_preservation_state", "preservation", ["state"])
    op.create_index("ix_preservation_next_check_at", "preservation", ["next_check_at"])
    op.create_index("ix_preservation_deleted_at", "preservation", ["deleted_at"])
    op.create_index("ix_preservation_edited_at", "preservation", ["edited_at"])
    op.create_table(
        "recheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        _ts("checked_at", nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recheck_mention_id", "recheck", ["mention_id"])
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("preserve", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("preserve")
    op.drop_table("recheck")
    op.drop_table("preservation")
    op.drop_table("capture")
