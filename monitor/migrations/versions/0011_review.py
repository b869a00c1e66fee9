"""review: schema for issue 14

Revision ID: 0011_review
Revises: 0010_hardening
"""

from alembic import op  # noqa: F401

revision = "0011_review"
down_revision = "0010_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
