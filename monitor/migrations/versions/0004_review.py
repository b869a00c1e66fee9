"""review: triage state, labels, notes, assignment, audit log, exclusion suggestions

Revision ID: 0004_review
Revises: 0003_dedupe

Existing decided mentions (status confirmed/dismissed) become ``review_state='reviewed'``.
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0004_review"
down_revision = "0003_dedupe"
branch_labels = None
depends_on = None


# SQLite rebuilds ``mention`` from its reflected definition, and SQLAlchemy cannot reflect an
# index on an expression: ix_mention_at (0002_digest) is dropped before the rebuild and made
# again after it, so the rebuild neither loses it (as it once did, see 0009_mention_at) nor warns.
# A frozen copy per migration: migrations share no code that could change under them.
MENTION_AT = "CREATE INDEX ix_mention_at ON mention (coalesce(published_at, fetched_at))"


@contextmanager
def _rebuilding_mention():
    """``op.batch_alter_table("mention")`` that keeps ix_mention_at across a SQLite rebuild."""
    bind = op.get_bind()
    present = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'ix_mention_at'"
    kept = bind.dialect.name == "sqlite" and bind.execute(sa.text(present)).first() is not None
    if kept:
        op.execute("DROP INDEX ix_mention_at")
    with op.batch_alter_table("mention") as batch:
        yield batch
    if kept:
        op.execute(MENTION_AT)


def upgrade() -> None:
    with _rebuilding_mention() as batch:
        batch.add_column(sa.Column("review_state", sa.String(16), nullable=False, server_default="unreviewed"))
        batch.add_column(sa.Column("label", sa.String(16), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("assigned_to", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_mention_assigned_to", "user", ["assigned_to"], ["id"])
        batch.create_index("ix_mention_review_state", ["review_state"])
        batch.create_index("ix_mention_label", ["label"])
        batch.create_index("ix_mention_assigned_to", ["assigned_to"])
        batch.create_index("ix_mention_queue", ["review_state", "fetched_at", "id"])
    op.execute("UPDATE mention SET review_state = 'reviewed' WHERE status <> 'new'")
    op.create_table(
        "auditentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auditentry_at", "auditentry", ["at"])
    op.create_index("ix_auditentry_user_id", "auditentry", ["user_id"])
    op.create_index("ix_auditentry_target", "auditentry", ["target"])
    op.create_table(
        "exclusionsuggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("phrase", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("suggested_by", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.ForeignKeyConstraint(["suggested_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exclusionsuggestion_person_id", "exclusionsuggestion", ["person_id"])


def downgrade() -> None:
    op.drop_table("exclusionsuggestion")
    op.drop_table("auditentry")
    with _rebuilding_mention() as batch:
        for index in ("ix_mention_queue", "ix_mention_assigned_to", "ix_mention_label", "ix_mention_review_state"):
            batch.drop_index(index)
        batch.drop_constraint("fk_mention_assigned_to", type_="foreignkey")
        for column in ("assigned_to", "note", "label", "review_state"):
            batch.drop_column(column)
