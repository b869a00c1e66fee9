"""language: the language of each mention (declared by its source, else detected)

Revision ID: 0005_language
Revises: 0004_review
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_language"
down_revision = "0004_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
        batch.create_index("ix_mention_language", ["language"])


def downgrade() -> None:
    with op.batch_alter_table("mention") as batch:
        batch.drop_index("ix_mention_language")
        batch.drop_column("language")
