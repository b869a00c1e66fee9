"""evidence: schema for issue 18

Revision ID: 0013_evidence
Revises: 0012_spikes
"""

from alembic import op  # noqa: F401

revision = "0013_evidence"
down_revision = "0012_spikes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
