"""signin: schema for issue 20 — sign-in factors

Revision ID: 0019_signin
Revises: 0018_custody
"""

from alembic import op  # noqa: F401

revision = "0019_signin"
down_revision = "0018_custody"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
