"""signin: schema for issue 20 — sign-in factors (``monitor.core.models_access``)

TOTP secrets, recovery codes, passkeys and the site's sign-in policy.

Revision ID: 0019_signin
Revises: 0018_custody
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_signin"
down_revision = "0018_custody"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    # models.UTCDateTime stores this type; a migration imports no live code.
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "totp_factor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        _when("created_at", nullable=False),
        _when("confirmed_at"),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        _when("created_at", nullable=False),
        _when("used_at"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rp_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        _when("created_at", nullable=False),
        _when("last_used_at"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id"),
    )
    op.create_index("ix_passkey_user_id", "passkey", ["user_id"])
    op.create_table(
        "signin_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("require_second_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
        _when("updated_at"),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("signin_policy")
    op.drop_index("ix_passkey_user_id", table_name="passkey")
    op.drop_table("passkey")
    op.drop_index("ix_recovery_code_user_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("totp_factor")
