"""language: schema for issue 21 — the team's language

Revision ID: 0021_language
Revises: 0020_groups
"""

from alembic import op  # noqa: F401

revision = "0021_language"
down_revision = "0020_groups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
