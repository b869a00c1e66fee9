"""Evidence tables (issue 18): what was captured, byte for byte, and where it lies.

A capture's bytes live in the content-addressed evidence store, named by ``sha256``;
identical bodies are stored once, while every capture event keeps its own row.
``Preservation`` is the work list of preserved mentions (linked page to capture, re-checks
due, what the last re-check found); ``Recheck`` is one row per re-check, kept for the record.
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
    it and how ("monitor 0.1.0 rss"). A WARC response record has its request record beside it
    (``request_sha256``); ``payload_sha256`` is the body's own hash (identical bodies are
    stored once: a later one is a WARC revisit record); ``text_sha256`` names a linked page's
    extracted text; ``transform`` names what was changed from the bytes exchanged (credentials
    replaced by a marker, a content-encoding decoded), empty when nothing was.
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
    request_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    payload_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), index=True))
    text_sha256: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    transform: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))


class Preservation(SQLModel, table=True):
    """A mention kept as evidence: why, its linked page, and where its re-checks stand.

    ``state``: pending (page not captured yet), present, edited, suspected (a removal seen
    once), deleted (seen again at least an hour later), unavailable, blocked.
    """

    mention_id: int = Field(foreign_key="mention.id", primary_key=True)
    reason: str = Field(default="review", sa_column=sa.Column(sa.String(16), nullable=False))  # review, preserve
    requested_at: datetime | None = _ts(nullable=False)
    state: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    checks_done: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    next_check_at: datetime | None = _ts(index=True)
    page_captured_at: datetime | None = _ts()
    suspected_at: datetime | None = _ts()
    deleted_at: datetime | None = _ts(index=True)
    edited_at: datetime | None = _ts(index=True)
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))


class Recheck(SQLModel, table=True):
    """One re-check of a preserved mention: what it found, and the capture it made."""

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    checked_at: datetime | None = _ts(nullable=False)
    outcome: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # unchanged, edited, suspected, deleted, …
    status: int | None = None
    capture_id: int | None = Field(default=None, foreign_key="capture.id")
    detail: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
