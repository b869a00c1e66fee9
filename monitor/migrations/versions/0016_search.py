"""search: schema for issue 16 — search providers

Revision ID: 0016_search
Revises: 0015_matching

``person.private``: never sent to a third-party service. ``search_state``: per provider
and search target (a person, a VK community), the cursor, last search, counts and backoff.
``search_provider``: a provider-wide pause after throttling or refused credentials.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_search"
down_revision = "0015_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_search_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("results", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_results", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "subject", name="uq_search_state_subject"),
    )
    op.create_index("ix_search_state_person_id", "search_state", ["person_id"])
    op.create_table(
        "search_provider",
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("provider"),
    )


def downgrade() -> None:
    op.drop_table("search_provider")
    op.drop_index("ix_search_state_person_id", table_name="search_state")
    op.drop_table("search_state")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("private")
