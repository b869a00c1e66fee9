"""streams: schema for issue 17

Revision ID: 0014_streams
Revises: 0013_evidence
"""

from alembic import op  # noqa: F401

revision = "0014_streams"
down_revision = "0013_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
