"""sources: schema for issue 16 — feed discovery, Telegram history, proxies

Revision ID: 0017_sources
Revises: 0016_search
"""

from alembic import op  # noqa: F401

revision = "0017_sources"
down_revision = "0016_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
