"""SQLModel tables. Every timestamp is stored and returned as timezone-aware UTC.

Uniqueness lives in the schema so that writes can be idempotent
(``ON CONFLICT DO NOTHING``): a redelivered Celery message or two overlapping
pollers never store the same post twice.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlmodel import Field, SQLModel

from monitor.core.columns import UTCDateTime, _ts, utcnow  # noqa: F401 - the models' users import them from here


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
    # Migration 0010_hardening: the first successful poll; what was published before it is
    # backfill (counted in spikes at its time, but it opens no alert).
    first_success_at: datetime | None = _ts()
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
    # Migration 0011_review: a source of the bundled demo (``monitor up --demo``), the one kind
    # of source polled on loopback without MONITOR_ALLOW_PRIVATE_NETWORKS. Only the launcher sets it.
    demo: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))
    # Migration 0010_hardening: a worker's claim on the source while it polls it; renewed by the
    # running batch, ended by the poll's write, lapsing when the worker dies.
    lease_until: datetime | None = _ts()
    # Migration 0011_review: for kind "auto", what the last successful poll found (rss, atom…).
    detected_kind: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    # Migration 0017_sources: the source's ``proxy`` key (a proxy URL, or "none" for a direct
    # connection; None follows MONITOR_PROXY_URL) and ``history`` (Telegram: posts read back
    # on the first poll; None is the default depth).
    proxy: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    history: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))


class Person(SQLModel, table=True):
    """A tracked person; ``name`` is the canonical name from the config."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    active: bool = True
    # Migration 0006_admin: "config" people follow the TOML file, "web" people an admin added.
    origin: str = Field(default="config", sa_column_kwargs={"server_default": "config"})
    # Migration 0011_review: paused on the web (not matched in new posts). The web's own flag:
    # config syncs leave it alone, so a config person stays paused until lifted on the web.
    paused_at: datetime | None = _ts()
    # Migration 0010_hardening: since when the person is tracked, set when the config or an admin
    # adds them (NULL: since before the column existed); their mentions published earlier are
    # backfill and open no spike alert.
    tracked_since: datetime | None = _ts()
    # Migration 0012_spikes: how big a burst must be to open a spike ("quiet", "normal", "eager"),
    # the last day (UTC) on which spikes send no alert, and whether the config sets both.
    alert: str = Field(default="normal", sa_column=sa.Column(sa.String(16), nullable=False, server_default="normal"))
    mute_until: date | None = Field(default=None, sa_column=sa.Column(sa.Date, nullable=True))
    alert_from_config: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # Migration 0016_search: never sent to a third-party service (search providers, alert channels).
    private: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))
    # Migration 0013_evidence: capture and re-check every mention of this person (config key ``preserve``).
    preserve: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))


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
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("user.id", name="fk_mention_assigned_to"), index=True),
    )
    # Migration 0005_language: the primary language subtag ("ru"), declared by the source or detected.
    language: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(8), nullable=True)
    )  # ix_mention_language_queue

    # Pydantic would take the hybrid below for a field without this.
    model_config = {"ignored_types": (hybrid_property,)}

    @hybrid_property
    def at(self) -> datetime | None:
        """The mention's time: when it was published, else when it was first seen.

        In SQL, ``coalesce(published_at, fetched_at)``, the expression ``ix_mention_at`` and the
        queue indexes hold; every filter, chart and order by time uses this one spelling.
        """
        return self.published_at or self.fetched_at

    @at.inplace.expression
    @classmethod
    def _at_expression(cls):
        # type_coerce keeps the aware-UTC round trip that a bare coalesce() loses on SQLite.
        return sa.type_coerce(sa.func.coalesce(cls.published_at, cls.fetched_at), UTCDateTime())


# The digest and spike queries select by this expression (migration 0002_digest).
_AT = sa.func.coalesce(Mention.__table__.c.published_at, Mention.__table__.c.fetched_at)
sa.Index("ix_mention_at", _AT)
# The review queue pages by (Mention.at, id) within a state, and its label and language filters
# walk these in the same order (migration 0011_review; before it, by fetched_at).
sa.Index("ix_mention_queue_at", Mention.__table__.c.review_state, _AT, Mention.__table__.c.id)
sa.Index("ix_mention_label_queue_at", Mention.__table__.c.label, _AT, Mention.__table__.c.id)
sa.Index(
    "ix_mention_language_queue_at",
    Mention.__table__.c.language,
    Mention.__table__.c.review_state,
    _AT,
    Mention.__table__.c.id,
)


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
    # Migration 0012_spikes: the count the detector expected in a day ("usually about 2 a day").
    usual_per_day: float | None = None
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
    # Migration 0011_review: the zone pages show times in; None means the [digest] timezone.
    timezone: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    # Migration 0021_language: the language pages are shown in; None: ?lang= or Accept-Language.
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(8), nullable=True))


class FeedToken(SQLModel, table=True):
    """A user's private feed and metrics token (migration 0011_review); revoked when ``revoked_at``.

    Only a random ``nonce`` is stored: the token is an HMAC of it under the secret key
    (``monitor.web.feeds``), so a copy of the database alone opens no feed.
    """

    __tablename__ = "feed_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    nonce: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime | None = _ts(nullable=False)
    revoked_at: datetime | None = _ts()


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
    # Migration 0022_notify: the config's Apprise channels for alerts, as ["env:NAME", …] references
    # (the URLs hold secrets and live in the environment); null or empty for none.
    notify: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    # Migration 0021_language: the digest's language ([[recipient]] language); None: English.
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(8), nullable=True))
    # Migration 0023_digest_channels: where the digest goes ([[recipient]] digest_to), e.g.
    # ["email", "notify"]; None: e-mail alone.
    digest_to: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))


class DigestDelivery(SQLModel, table=True):
    """One digest for one recipient, day and channel; the unique key makes sending once a claim."""

    __table_args__ = (sa.UniqueConstraint("recipient_id", "day", "channel", name="uq_digestdelivery_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="recipient.id", index=True)
    day: date
    # Migration 0023_digest_channels: "email", or an Apprise channel of the recipient's
    # ("apprise:r<recipient id>:<NAME>", as spike alerts name it) when digest_to has "notify".
    channel: str = Field(default="email", sa_column=sa.Column(sa.String(160), nullable=False, server_default="email"))
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


class WebSession(SQLModel, table=True):
    """A signed-in browser (migration 0010_hardening): the cookie carries a random token, this
    row its SHA-256. Logout, a password change or deactivation set ``revoked_at``; after
    ``expires_at`` (fixed at login) the cookie no longer works however often it is used."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime | None = _ts(nullable=False)
    last_seen_at: datetime | None = _ts(nullable=False)
    expires_at: datetime | None = _ts(nullable=False)
    revoked_at: datetime | None = _ts()
    user_agent: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False, server_default=""))


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
    ``cluster_id`` (each would cost every inserted band); ``monitor.core.storage.clusters`` says more.
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


# Migration 0014_streams: the stream process (``monitor.ingest.streams``).


class StreamLease(SQLModel, table=True):
    """A deployment-wide claim (``name`` "stream"): held by one process until ``expires_at``,
    renewed while it runs, so a second stream process waits instead of consuming too."""

    __tablename__ = "stream_lease"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    holder: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    expires_at: datetime | None = _ts(nullable=False)


class StreamState(SQLModel, table=True):
    """One stream source's consumer state: last event time (the lag), counters, and ``mode``
    "stream" or "polling" (a Mastodon server refused streaming; ``note`` says why)."""

    __tablename__ = "stream_state"

    source_id: int = Field(foreign_key="source.id", primary_key=True)
    mode: str = Field(default="stream", sa_column=sa.Column(sa.String(16), nullable=False, server_default="stream"))
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    last_event_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    events: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    skipped: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))


# Migration 0015_matching: the expanded watch list (``monitor.core.storage.matcher_cache``).


class MatcherCache(SQLModel, table=True):
    """One expanded watch list, shared by every process: ``key`` is the SHA-256 of the people's
    names and of the expansion code, ``data`` the zlib-compressed JSON of every generated key."""

    __tablename__ = "matcher_cache"

    key: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    built_at: datetime | None = _ts(nullable=False)
    people: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


# Tables of this round's later issues, each in a module of its own; imported here so that
# ``SQLModel.metadata`` holds every table whichever module a process imports first.
from monitor.core import (
    models_access,  # noqa: E402,F401  (issue 20: sign-in factors)
    models_custody,  # noqa: E402,F401  (issue 18: custody log, timestamps)
    models_evidence,  # noqa: E402,F401  (issue 18: captures)
    models_groups,  # noqa: E402,F401  (issue 20: groups)
    models_notify,  # noqa: E402,F401  (issue 21: channels, full-text search)
    models_search,  # noqa: E402,F401  (issue 16: search providers)
)
