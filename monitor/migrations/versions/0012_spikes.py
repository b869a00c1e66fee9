"""spikes: schema for issue 19

Revision ID: 0012_spikes
Revises: 0011_review
"""

from alembic import op  # noqa: F401

revision = "0012_spikes"
down_revision = "0011_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
