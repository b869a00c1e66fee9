"""groups: schema for issue 20 — per-case access

Revision ID: 0020_groups
Revises: 0019_signin
"""

from alembic import op  # noqa: F401

revision = "0020_groups"
down_revision = "0019_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
