"""Evidence tables (issue 18): what was captured, byte for byte, and where it lies.

A capture's bytes live in the content-addressed evidence store, named by ``sha256``;
identical bodies are stored once, while every capture event keeps its own row.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.core.columns import _ts

# Migration 0013_evidence.


class Capture(SQLModel, table=True):
    """One captured record: a poll response, a linked page, a screenshot or PDF, or a re-check.

    ``sha256`` names the stored file (a WARC record, or the PNG/PDF bytes); ``item_sha256`` is
    the SHA-256 of the mention's extracted item as canonical JSON; ``method`` says who captured
    it and how ("monitor 0.1.0 rss").
    """

    __tablename__ = "capture"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # poll, page, screenshot, pdf, recheck
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    url: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    mention_id: int | None = Field(default=None, foreign_key="mention.id", index=True)
    item_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    status: int | None = None
    size: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    method: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    captured_at: datetime | None = _ts(nullable=False, index=True)
