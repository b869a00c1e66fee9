"""search: schema for issue 16 — search providers

Revision ID: 0016_search
Revises: 0015_matching
"""

from alembic import op  # noqa: F401

revision = "0016_search"
down_revision = "0015_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
