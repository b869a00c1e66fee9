"""mention_at: put back the index on coalesce(published_at, fetched_at) where SQLite lost it

Revision ID: 0009_mention_at
Revises: 0008_clusters

On SQLite, a batch migration rebuilds a table from its reflected definition, and SQLAlchemy
cannot reflect an index on an expression: 0003_dedupe's rebuild of ``mention`` dropped
``ix_mention_at`` (from 0002_digest) without a word but a warning. The digest, spike and
chart queries that filter on the mention's time then scanned the table. PostgreSQL kept it.
Since then the migrations that rebuild ``mention`` keep the index themselves, so this one only
repairs databases migrated before that.

Downgrade is a no-op on purpose: the index belongs to 0002_digest and is part of the schema at
0008_clusters as well (tests/db/test_migrations.py checks it is still there after the downgrade).
"""

from alembic import op

revision = "0009_mention_at"
down_revision = "0008_clusters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_mention_at ON mention (coalesce(published_at, fetched_at))")


def downgrade() -> None:
    pass  # the index stays: it belongs to 0002_digest (see the docstring)
