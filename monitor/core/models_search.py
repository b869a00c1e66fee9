"""Search providers (issue 16): per person and provider, the last search and its cursor; backoff.

Migration 0016_search. A provider's results belong to one ``Source`` row per provider
(``url = "search:NAME"``, ``origin = "search"``), so exports, review and spikes see them like
any polled item; these rows hold what the search needs besides.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.core.columns import _ts


class SearchState(SQLModel, table=True):
    """One search target of a provider: a person's names (``subject = "person:ID"``) or a
    community wall VK reads for everyone (``"community:-12345"``).

    ``cursor`` is the provider's own (a time, a newest id, JSON per hashtag); ``results``
    counts matched results over time, ``last_results`` those of the last search;
    ``failures`` the consecutive failures and ``backoff_until`` when it may run again.
    """

    __tablename__ = "search_state"
    __table_args__ = (sa.UniqueConstraint("provider", "subject", name="uq_search_state_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    cursor: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    last_search_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    results: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    last_results: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    failures: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    backoff_until: datetime | None = _ts()


class SearchProvider(SQLModel, table=True):
    """A provider-wide pause: throttled (HTTP 429, VK codes 6/9/29) or refused our credentials."""

    __tablename__ = "search_provider"

    provider: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    failures: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    last_error_at: datetime | None = _ts()
    backoff_until: datetime | None = _ts()
    last_run_at: datetime | None = _ts()
    lease_until: datetime | None = _ts()  # a run's claim: two overlapping runs never search one provider at once
