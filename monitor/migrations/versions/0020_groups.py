"""groups: schema for issue 20 — per-case access

Revision ID: 0020_groups
Revises: 0019_signin

``case_group``: named groups of tracked people. ``person_group`` and ``user_group``: who
belongs to which group. No rows are created: a reviewer in no group keeps seeing everything,
so the upgrade takes nobody's access away.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_groups"
down_revision = "0019_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "person_group",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False, server_default="config"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["case_group.id"]),
        sa.PrimaryKeyConstraint("person_id", "group_id"),
    )
    op.create_index("ix_person_group_group_id", "person_group", ["group_id"])
    op.create_table(
        "user_group",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["case_group.id"]),
        sa.PrimaryKeyConstraint("user_id", "group_id"),
    )
    op.create_index("ix_user_group_group_id", "user_group", ["group_id"])


def downgrade() -> None:
    op.drop_index("ix_user_group_group_id", table_name="user_group")
    op.drop_table("user_group")
    op.drop_index("ix_person_group_group_id", table_name="person_group")
    op.drop_table("person_group")
    op.drop_table("case_group")
