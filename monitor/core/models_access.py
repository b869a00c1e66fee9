"""Sign-in factors (issue 20): TOTP, recovery codes, passkeys, and the site's 2FA policy.

Migration 0019_signin. Nothing here lets anyone sign in from a copy of the database alone:
the TOTP secret is encrypted under a key derived from ``MONITOR_SECRET_KEY``, recovery codes
are kept as keyed hashes, and a passkey row holds only a public key.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.core.columns import _ts


class TotpFactor(SQLModel, table=True):
    """A user's authenticator-app secret (one per user). Unconfirmed until a code from it was
    entered (``confirmed_at``); ``last_step`` is the TOTP time step last accepted, so a code
    is refused a second time (a replay) while it is still inside the window."""

    __tablename__ = "totp_factor"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("user.id"), nullable=False, unique=True))
    secret_encrypted: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime | None = _ts(nullable=False)
    confirmed_at: datetime | None = _ts()
    last_step: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))


class RecoveryCode(SQLModel, table=True):
    """One single-use recovery code, as an HMAC of its normalised text; used once when ``used_at`` is set."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_at: datetime | None = _ts(nullable=False)
    used_at: datetime | None = _ts()


class Passkey(SQLModel, table=True):
    """A WebAuthn credential registered by a user: its id (base64url), COSE public key and signature counter."""

    __tablename__ = "passkey"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    credential_id: str = Field(sa_column=sa.Column(sa.String(1400), nullable=False, unique=True))
    public_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    sign_count: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    rp_id: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    name: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False, server_default=""))
    created_at: datetime | None = _ts(nullable=False)
    last_used_at: datetime | None = _ts()


class SigninPolicy(SQLModel, table=True):
    """The site's sign-in policy: one row (id 1). ``require_second_factor`` sends every user
    without a factor to enrolment after the password; no row means not required."""

    __tablename__ = "signin_policy"

    id: int | None = Field(default=None, primary_key=True)
    require_second_factor: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    updated_at: datetime | None = _ts()
    updated_by: int | None = Field(default=None, foreign_key="user.id")
