"""hardening: schema for issue 13

Revision ID: 0010_hardening
Revises: 0009_mention_at
"""

from alembic import op  # noqa: F401

revision = "0010_hardening"
down_revision = "0009_mention_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
