"""language: schema for issue 21 — the team's language

``user.language`` (the pages' language a user chose) and ``recipient.language`` (the
digest's language), both nullable: None falls back to ``?lang=``/Accept-Language and to
English respectively.

Revision ID: 0021_language
Revises: 0020_groups
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_language"
down_revision = "0020_groups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("language")
