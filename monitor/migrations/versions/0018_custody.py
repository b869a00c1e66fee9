"""custody: schema for issue 18 — custody log, timestamps (``monitor.core.models_custody``)

The custody log refuses UPDATE and DELETE in the database itself: a trigger per operation
on SQLite, a trigger function on PostgreSQL (TRUNCATE too).

Revision ID: 0018_custody
Revises: 0017_sources
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_custody"
down_revision = "0017_sources"
branch_labels = None
depends_on = None

REFUSAL = "custody_event is append-only"

SQLITE_TRIGGERS = [
    (
        f"CREATE TRIGGER custody_event_no_{op_name.lower()} BEFORE {op_name} ON custody_event "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    )
    for op_name in ("UPDATE", "DELETE")
]

POSTGRES_TRIGGERS = [
    (
        "CREATE FUNCTION custody_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
    ),
    (
        "CREATE TRIGGER custody_event_no_change BEFORE UPDATE OR DELETE ON custody_event "
        "FOR EACH ROW EXECUTE FUNCTION custody_event_append_only()"
    ),
    (
        "CREATE TRIGGER custody_event_no_truncate BEFORE TRUNCATE ON custody_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION custody_event_append_only()"
    ),
]


def upgrade() -> None:
    # models.UTCDateTime stores sa.DateTime(timezone=True); a migration imports no live code.
    op.create_table(
        "custody_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prev_hash"),
        sa.UniqueConstraint("hash"),
    )
    op.create_table(
        "stamp_manifest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "stamp_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=False),
        sa.Column("tsa_url", sa.Text(), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("gen_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["manifest_id"], ["stamp_manifest.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stamp_token_manifest_id", "stamp_token", ["manifest_id"])
    op.create_table(
        "capture_stamp",
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"]),
        sa.ForeignKeyConstraint(["manifest_id"], ["stamp_manifest.id"]),
        sa.PrimaryKeyConstraint("capture_id"),
    )
    op.create_index("ix_capture_stamp_manifest_id", "capture_stamp", ["manifest_id"])
    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("capture_stamp")
    op.drop_table("stamp_token")
    op.drop_table("stamp_manifest")
    # Dropping the table drops its triggers on both databases; the function stays on PostgreSQL.
    op.drop_table("custody_event")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION custody_event_append_only()")
