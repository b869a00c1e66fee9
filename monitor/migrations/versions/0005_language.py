"""language: the language of each mention (declared by its source, else detected)

Revision ID: 0005_language
Revises: 0004_review
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0005_language"
down_revision = "0004_review"
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
    with op.batch_alter_table("mention") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
        batch.create_index("ix_mention_language", ["language"])


def downgrade() -> None:
    with _rebuilding_mention() as batch:  # dropping a column rebuilds the table on SQLite
        batch.drop_index("ix_mention_language")
        batch.drop_column("language")
