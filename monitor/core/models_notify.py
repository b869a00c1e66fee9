"""Alert channels (issue 21): Apprise URLs an admin entered on the web, stored sealed.

The config's channels are references on ``Recipient.notify``; ``Person.private`` says whose
name never goes to a channel. Full-text search has no model: its PostgreSQL column and
SQLite FTS5 table are the database's own (migration 0022_notify).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.core.columns import _ts


class NotifyChannel(SQLModel, table=True):
    """One Apprise URL (``url_sealed``: ``monitor.notify.channels.sealing``) that receives the
    spike alerts of ``people`` (a JSON list of names; null for everybody)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    url_sealed: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    service: str = Field(default="", sa_column=sa.Column(sa.String(32), nullable=False, server_default=""))
    people: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.true()))
    created_at: datetime | None = _ts(nullable=False)
