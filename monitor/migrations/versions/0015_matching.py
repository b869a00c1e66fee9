"""matching: schema for issue 22

Revision ID: 0015_matching
Revises: 0014_streams
"""

from alembic import op  # noqa: F401

revision = "0015_matching"
down_revision = "0014_streams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
