"""SQLModel tables. Every timestamp is stored and returned as timezone-aware UTC.

Uniqueness lives in the schema so that writes can be idempotent
(``ON CONFLICT DO NOTHING``): a redelivered Celery message or two overlapping
pollers never store the same post twice.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp column that always round-trips as aware UTC (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _ts(*, nullable: bool = True, index: bool = False):
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class Source(SQLModel, table=True):
    """A feed or public page we poll, with its poll state."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    name: str = ""
    kind: str = "auto"
    enabled: bool = True
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    next_poll_at: datetime | None = _ts(index=True)
    last_polled_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    last_error_at: datetime | None = _ts()
    consecutive_failures: int = 0
    # Poll state added by migration 0002_sources: an API cursor, the adaptive interval,
    # and what the last poll yielded (for the "went silent" flag).
    cursor: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    interval_seconds: int | None = None
    items_last_poll: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    new_last_poll: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_new_at: datetime | None = _ts()
    # Migration 0006_admin: "config" rows follow the TOML file, "web" rows were added by an admin
    # and survive config syncs; removed_at hides a web source that still has mentions.
    origin: str = Field(default="config", sa_column_kwargs={"server_default": "config"})
    removed_at: datetime | None = _ts()


class Person(SQLModel, table=True):
    """A tracked person; ``name`` is the canonical name from the config."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    active: bool = True
    # Migration 0006_admin: "config" people follow the TOML file, "web" people an admin added.
    origin: str = Field(default="config", sa_column_kwargs={"server_default": "config"})


class Alias(SQLModel, table=True):
    """A way a person's name is written (``kind='alias'``) or a phrase that cancels it (``'exclude'``)."""

    __table_args__ = (sa.UniqueConstraint("person_id", "kind", "text"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = "alias"
    text: str
    # Migration 0006_admin: "web" terms (added by an admin, or accepted exclusions) outlive config syncs.
    origin: str = Field(default="config", sa_column_kwargs={"server_default": "config"})


class Cluster(SQLModel, table=True):
    """A story: mentions that dedupe judges to be the same story share one cluster."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_at: datetime | None = _ts()
    # Migration 0003_dedupe: the founding post's MinHash signature and shingle count, against
    # which a candidate found through the stored LSH bands is confirmed. None: exact-key cluster.
    signature: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
    shingles: int | None = None


class Mention(SQLModel, table=True):
    """One stored post that names at least one tracked person."""

    __table_args__ = (sa.UniqueConstraint("source_id", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    guid: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    url: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    canonical_url: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    title: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    text: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    author: str | None = None
    published_at: datetime | None = _ts(index=True)
    fetched_at: datetime | None = _ts(nullable=False, index=True)
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", index=True)
    status: str = Field(default="new", index=True)
    # Migration 0003_dedupe: the post's platform-wide identity (``monitor.dedupe.identity``),
    # so a boost or a second feed carrying it is a sighting, not a second mention.
    identity: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True, unique=True))
    # Triage (migration 0004_review). ``status`` keeps meaning new|confirmed|dismissed for the
    # digest; ``review_state`` is the reviewer's workflow: unreviewed -> reviewed -> escalated.
    # A label sets status: unrelated -> dismissed, any other label -> confirmed.
    review_state: str = Field(
        default="unreviewed",
        sa_column=sa.Column(sa.String(16), nullable=False, server_default="unreviewed", index=True),
    )
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))  # ix_mention_label_queue
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    assigned_to: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("user.id", name="fk_mention_assigned_to"), index=True)
    )
    # Migration 0005_language: the primary language subtag ("ru"), declared by the source or detected.
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(8), nullable=True))  # ix_mention_language_queue


# The digest and spike queries select by this expression (migration 0002_digest).
sa.Index("ix_mention_at", sa.func.coalesce(Mention.__table__.c.published_at, Mention.__table__.c.fetched_at))
# The review queue pages by (fetched_at, id) within a state (migration 0004_review).
sa.Index("ix_mention_queue", Mention.__table__.c.review_state, Mention.__table__.c.fetched_at, Mention.__table__.c.id)
# Its label and language filters walk these in the same order (migration 0006_admin).
sa.Index("ix_mention_label_queue", Mention.__table__.c.label, Mention.__table__.c.fetched_at, Mention.__table__.c.id)
sa.Index("ix_mention_language_queue", Mention.__table__.c.language, Mention.__table__.c.review_state,
         Mention.__table__.c.fetched_at, Mention.__table__.c.id)


class MentionPerson(SQLModel, table=True):
    """Which tracked people a mention names, and by which alias first."""

    mention_id: int = Field(foreign_key="mention.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    alias: str = ""


class Spike(SQLModel, table=True):
    """A bucket in which a person was mentioned far more than the causal baseline expected.

    One row per series and first bucket: ``source_kind`` "" is the person's whole volume,
    otherwise the volume from sources of that kind (migration 0007_spikes). "" rather than
    NULL because NULLs never conflict in a unique key, and the key is what makes recording
    a spike idempotent.
    """

    __table_args__ = (sa.UniqueConstraint("person_id", "source_kind", "hour", name="uq_spike_series_hour"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    hour: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
    count: int
    expected: float
    score: float
    detected_at: datetime | None = _ts()
    # The episode: ``hour`` is its first hour; it peaks at ``peak_at`` and lasts to ``end_at``.
    kind: str = Field(default="burst", sa_column=sa.Column(sa.String(32), nullable=False, server_default="burst"))
    p_value: float | None = None
    peak_at: datetime | None = _ts()
    peak_count: int | None = None
    end_at: datetime | None = _ts()
    total: int | None = None
    explanation: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    expected_by_reviewer: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    source_kind: str = Field(default="", sa_column=sa.Column(sa.String(32), nullable=False, server_default=""))
    bucket_seconds: int = Field(default=3600, sa_column_kwargs={"server_default": "3600"})
    expected_by: int | None = Field(default=None, foreign_key="user.id")
    expected_at: datetime | None = _ts()


class SpikeState(SQLModel, table=True):
    """The online detector's state of one series (migration 0007_spikes), fed bucket by bucket.

    ``next_bucket`` is the start of the first bucket not yet fed; advancing it with a
    conditional UPDATE is the claim, so two workers never feed the same bucket twice.
    """

    __table_args__ = (sa.UniqueConstraint("person_id", "source_kind", "bucket_seconds", name="uq_spikestate_series"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    source_kind: str = Field(default="", sa_column=sa.Column(sa.String(32), nullable=False, server_default=""))
    bucket_seconds: int
    next_bucket: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    state: dict = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: datetime | None = _ts()


class SpikeAlert(SQLModel, table=True):
    """One immediate alert of a spike on one channel (``email:<recipient id>`` or ``webhook``).

    The unique key makes inserting the row the claim: two workers never send it twice.
    A failed alert is retried alone by a conditional UPDATE from ``failed`` to ``sending``.
    """

    __table_args__ = (sa.UniqueConstraint("spike_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    spike_id: int = Field(foreign_key="spike.id", index=True)
    channel: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    status: str = Field(default="sending", sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    claimed_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()


class User(SQLModel, table=True):
    """A reviewer or admin who can log in to the web page."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    role: str = "reviewer"
    password_hash: str
    active: bool = True
    created_at: datetime | None = _ts()


class ReviewDecision(SQLModel, table=True):
    """One triage decision; the log is append-only, ``Mention.status`` holds the latest."""

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    decision: str
    decided_at: datetime | None = _ts()


class Recipient(SQLModel, table=True):
    """A digest recipient; ``people`` is a JSON list of person names, or null for everybody."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    people: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    active: bool = True
    # Digest fields (migration 0002_digest): None timezone means the [digest] timezone;
    # origin "config" rows follow the TOML file, "web" rows are users' own subscriptions;
    # unsubscribed_at is set by the one-click link and survives config syncs.
    timezone: str | None = None
    origin: str = Field(default="config", sa_column_kwargs={"server_default": "config"})
    unsubscribed_at: datetime | None = _ts()


class DigestDelivery(SQLModel, table=True):
    """One digest for one recipient and day; the unique key makes sending once a claim."""

    __table_args__ = (sa.UniqueConstraint("recipient_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="recipient.id", index=True)
    day: date
    status: str = "sending"
    mention_count: int = 0
    spike_count: int = 0
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    claimed_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    # Failed sends (migration 0002_digest): the scheduler retries at retry_at, backing off.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    retry_at: datetime | None = _ts()


class AuditEntry(SQLModel, table=True):
    """One reviewer or admin action (migration 0004_review): who, what, when, before and after.

    Append-only; ``target`` names what was acted on, e.g. ``mention:12`` or ``exclusion:3``.
    """

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _ts(nullable=False, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    target: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    before: dict | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    after: dict | None = Field(default=None, sa_column=sa.Column(sa.JSON))


class ExclusionSuggestion(SQLModel, table=True):
    """A "false match" fed back to the matcher: an exclude phrase an admin may accept (0004_review)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    mention_id: int | None = Field(default=None, foreign_key="mention.id")
    phrase: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False, server_default="pending"))
    suggested_by: int | None = Field(default=None, foreign_key="user.id")
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime | None = _ts()
    decided_at: datetime | None = _ts()


class LoginFailure(SQLModel, table=True):
    """One failed login against one key (``ip:…`` or ``email:…``), shared by every web process
    (migration 0006_admin); ``monitor.web.ratelimit`` counts them in a sliding window."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    at: datetime | None = _ts(nullable=False, index=True)


sa.Index("ix_login_failure_key_at", LoginFailure.__table__.c.key, LoginFailure.__table__.c.at)


# Migration 0003_dedupe: sightings, the shared LSH index of story clusters, poll counters
# and the worker heartbeat.


class Sighting(SQLModel, table=True):
    """A stored mention seen on one source: when first and last, and who reposted it there."""

    __table_args__ = (sa.UniqueConstraint("mention_id", "source_id"),)

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    url: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    reposted_by: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    seen_at: datetime | None = _ts(nullable=False)


class ClusterBand(SQLModel, table=True):
    """One LSH band of a story: band key (band number and minimum in one bigint) → its cluster.

    Migration 0008_clusters: an index, not a record, so no foreign key and no index on
    ``cluster_id`` (each would cost every inserted band); ``monitor.dedupe.clusters`` says more.
    """

    band: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    cluster_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class SourceStats(SQLModel, table=True):
    """Running totals per source for ``/metrics``: polls, failed polls, new mentions."""

    __tablename__ = "source_stats"

    source_id: int = Field(foreign_key="source.id", primary_key=True)
    polls: int = 0
    errors: int = 0
    new_mentions: int = 0


class Heartbeat(SQLModel, table=True):
    """The last time a worker ran the heartbeat task: ``/healthz`` reports its age."""

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    beat_at: datetime | None = _ts(nullable=False)
