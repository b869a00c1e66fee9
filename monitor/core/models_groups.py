"""Per-case access (issue 20): groups of tracked people and their members.

A group ("Police cases") has people and users. A reviewer who is a member of at least one
group sees only the people of their groups and the people of no group; admins and reviewers
of no group see everyone (``monitor.core.storage.access`` holds the one rule).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.core.columns import UTCDateTime


class CaseGroup(SQLModel, table=True):
    """A group of tracked people, by its unique ``name``."""

    __tablename__ = "case_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    created_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True))


class PersonGroup(SQLModel, table=True):
    """A tracked person's membership of a group; ``origin`` "config" rows follow the TOML file,
    "web" rows were set on the web and outlive config syncs."""

    __tablename__ = "person_group"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    group_id: int = Field(foreign_key="case_group.id", primary_key=True, index=True)
    origin: str = Field(default="config", sa_column=sa.Column(sa.String(16), nullable=False, server_default="config"))


class UserGroup(SQLModel, table=True):
    """A user's membership of a group."""

    __tablename__ = "user_group"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    group_id: int = Field(foreign_key="case_group.id", primary_key=True, index=True)
