"""Custody log and timestamps (issue 18): the hash-chained event log, manifests and TSA tokens.

``custody_event`` is append-only: migration 0018 installs triggers that refuse UPDATE and
DELETE on SQLite and PostgreSQL, and ``prev_hash`` is unique, so the log is one chain.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.core.columns import _ts

# Migration 0018_custody.


class CustodyEvent(SQLModel, table=True):
    """One event in the custody chain: captured, timestamped, viewed, labelled, re-checked, exported.

    ``hash`` is the SHA-256 of the event's canonical JSON, which includes ``prev_hash`` (the
    hash of the event before it); ``people`` is ",3,7," (the people the event concerns, for
    a bundle's slice) or "" for a monitor-wide event; ``details`` is canonical JSON.
    """

    __tablename__ = "custody_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _ts(nullable=False)
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    people: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    details: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))
    prev_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))


class StampManifest(SQLModel, table=True):
    """One timestamped manifest: the capture SHA-256s it lists, one per line (``body``)."""

    __tablename__ = "stamp_manifest"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime | None = _ts(nullable=False)


class StampToken(SQLModel, table=True):
    """One TSA's RFC 3161 response for a manifest, with the TSA's certificate chain (PEM)."""

    __tablename__ = "stamp_token"

    id: int | None = Field(default=None, primary_key=True)
    manifest_id: int = Field(foreign_key="stamp_manifest.id", index=True)
    tsa_url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    response: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    chain_pem: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    gen_time: datetime | None = _ts(nullable=False)


class CaptureStamp(SQLModel, table=True):
    """Which manifest lists a capture: a capture without a row here is not yet timestamped."""

    __tablename__ = "capture_stamp"

    capture_id: int = Field(foreign_key="capture.id", primary_key=True)
    manifest_id: int = Field(foreign_key="stamp_manifest.id", index=True)
