"""Settings: every ``MONITOR_*`` environment variable, its default and its validation.

Nothing else in the project reads the environment. A ``.env`` file in the working
directory is read too. ``get_settings()`` is cached; tests that change the environment
call ``get_settings.cache_clear()``.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///data/monitor.core.db"
DATA_DIR = Path("data")
USER_AGENT = "monitor/0.1 (mention monitor for human-rights groups)"
# The data folder holds the database, outgoing mail and the secret key: only its owner reads it.
PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def restrict_new_files() -> None:
    """Create every later file and folder of this process owner-only (0600/0700).

    Called first by each entry point (the CLI, Celery worker and beat), so files made by
    libraries too (SQLite's database, -wal and -shm, beat's schedule) are never readable by
    other accounts, not even between creation and a chmod.
    """
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` created (with its parents) owner-only when missing; returned as given."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return path


def create_private_file(path: Path, data: bytes) -> None:
    """Write a new file that is 0600 from its creation; ``FileExistsError`` when it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


class Settings(BaseSettings):
    """The process-wide settings, read from ``MONITOR_*`` variables and ``.env``."""

    model_config = SettingsConfigDict(env_prefix="MONITOR_", env_file=".env", extra="ignore")

    config: Path = Path("monitor.toml")
    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str | None = None
    smtp_url: str | None = None
    # A PEM file of CAs to trust for SMTP TLS instead of the system's (a private relay, tests).
    smtp_ca_file: Path | None = None
    digest_from: str = "monitor@localhost"
    allow_private_networks: bool = False
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None
    data_dir: Path = DATA_DIR
    # How often the beat timestamps new captures at the [evidence] TSAs (issue 18).
    evidence_stamp_seconds: float = Field(default=3600.0, gt=0)
    # Spike alerts: an optional JSON POST per new spike (e.g. a chat's incoming webhook).
    alert_webhook_url: str | None = None
    alert_webhook_timeout: float = Field(default=10.0, gt=0)
    alert_max_attempts: int = Field(default=5, ge=1)
    # The spike detector's bucket: mentions per person are counted per this many minutes.
    spike_bucket_minutes: int = Field(default=60, ge=5, le=24 * 60)
    # Worker logs: JSON lines for a log shipper, or plain lines for a person at a terminal
    # (`monitor up` picks text there); `log_tasks` false hides the line per task run and per request.
    log_format: Literal["json", "text"] = "json"
    log_tasks: bool = True
    # Query strings (search URLs name watched people) are cut from every log line unless true.
    log_query_strings: bool = False
    # Workers' and beat's form of `--allow-empty`: a config that lists no person or no source
    # may deactivate every one the database has (otherwise it is refused and the last stays).
    allow_empty_config: bool = False

    # Fetching limits; not part of the public contract but tunable for tests.
    fetch_timeout: float = Field(default=20.0, gt=0)
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    fetch_max_redirects: int = Field(default=5, ge=0)
    poll_interval_seconds: int = Field(default=900, ge=1)
    min_poll_interval_seconds: int = Field(default=300, ge=1)
    max_poll_interval_seconds: int = Field(default=6 * 3600, ge=1)
    silent_after_intervals: int = Field(default=12, ge=1)
    # Politeness across every worker: concurrent requests and the gap between two
    # request starts, per host (through Redis when the broker is Redis).
    host_concurrency: int = Field(default=2, ge=1)
    host_min_gap_seconds: float = Field(default=1.0, ge=0)
    poll_concurrency: int = Field(default=32, ge=1)
    # Platform credentials, only for sources that need them (Bluesky post search, Reddit's
    # User-Agent). Never in the TOML config, which is often shared.
    bluesky_handle: str | None = None
    bluesky_app_password: SecretStr | None = None
    bluesky_service: str = "https://bsky.social"
    reddit_username: str | None = None
    # Search providers (issue 16): VK's service token and the YouTube Data API key.
    vk_token: SecretStr | None = None
    youtube_key: SecretStr | None = None
    poll_batch_size: int = Field(default=25, ge=1)
    dispatch_interval_seconds: float = Field(default=60.0, gt=0)
    # A claimed source's lease: renewed every third of it while its batch runs, so a killed
    # worker's sources are due again within about this plus the dispatch interval.
    poll_lease_seconds: float = Field(default=90.0, gt=0)
    # Spikes are recomputed at most this often across all workers (after polls that stored
    # something, and on the beat), not once per poll batch: detection covers every person.
    spike_refresh_seconds: float = Field(default=30.0, gt=0)
    # Operations (issue 5). Redis redelivers an unacknowledged task after the visibility
    # timeout: longer than any task may run, short only in tests of a killed worker.
    broker_visibility_timeout: int = Field(default=3600, ge=1)
    worker_max_tasks_per_child: int = Field(default=200, ge=1)
    worker_max_memory_per_child_kb: int = Field(default=512 * 1024, ge=1024)
    heartbeat_interval_seconds: float = Field(default=30.0, gt=0)
    # A bearer token that lets a Prometheus scraper read /metrics without a session.
    metrics_token: SecretStr | None = None
    # The stream process (issue 17, monitor.ingest.streams): its deployment-wide lease (renewed every
    # third of it; a crashed holder is replaced after it), the cap on one frame, the ceiling
    # of the jittered reconnect backoff, and how often a Mastodon server that refused
    # streaming is polled instead.
    stream_lease_seconds: float = Field(default=30.0, ge=1)
    stream_max_frame_bytes: int = Field(default=1024 * 1024, ge=1024)
    stream_backoff_max_seconds: float = Field(default=60.0, gt=0)
    stream_poll_seconds: float = Field(default=60.0, gt=0)
    # Web: peers whose X-Forwarded-For names the client (the reverse proxy), as addresses or
    # CIDRs, comma-separated; the login limiter counts per client address. "*" trusts any peer.
    trusted_proxies: str = "127.0.0.1"
    # Issue 16: every request to a source or provider goes through this proxy (http, https or
    # socks5; the proxy resolves names) unless its own ``proxy`` key says otherwise.
    proxy_url: str | None = None
    # Evidence (issue 18, monitor.evidence): the content-addressed store (default <data_dir>/evidence),
    # whether poll responses are kept as WARC records, how long a response that stored no mention
    # is kept, screenshots/PDFs of linked pages through Chromium (and whether the page's own
    # scripts run there), and how many preserved mentions one beat run re-checks or captures.
    evidence_dir_path: Path | None = Field(default=None, alias="MONITOR_EVIDENCE_DIR")
    evidence_capture: bool = True
    evidence_unmatched_days: float = Field(default=7.0, ge=0)
    evidence_screenshots: bool = False
    evidence_page_scripts: bool = False
    evidence_chromium: Path = Path("/usr/bin/chromium")
    evidence_batch: int = Field(default=20, ge=1)

    @field_validator("broker_url", "smtp_url", "alert_webhook_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("proxy_url", mode="before")
    @classmethod
    def _usable_proxy(cls, value: str | None) -> str | None:
        from monitor.core.config_proxy import check_proxy_url

        return check_proxy_url(value) if value else None

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return value

    @field_validator("spike_bucket_minutes")
    @classmethod
    def _whole_buckets_a_day(cls, value: int) -> int:
        # The day profile has one slot per bucket of the day: a bucket that does not divide the
        # day would move the slots against the clock (50 minutes: by 40 minutes a day).
        if (24 * 60) % value:
            raise ValueError(f"{value} does not divide a day (1440 minutes); use e.g. 5, 10, 15, 30, 60, 120")
        return value

    @property
    def embedded_broker(self) -> bool:
        """True when no broker server is configured and kombu's filesystem transport is used."""
        return self.broker_url is None

    @property
    def evidence_dir(self) -> Path:
        """Where captures are kept (``MONITOR_EVIDENCE_DIR``, default ``<data_dir>/evidence``)."""
        return self.evidence_dir_path or self.data_dir / "evidence"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def celery_broker_url(self) -> str:
        """The broker URL Celery connects to: the configured one, or the embedded filesystem queue."""
        # A host name, though the queue is a folder: without one kombu warns on every connection.
        return self.broker_url or "filesystem://localhost//"

    def redis_url(self) -> str | None:
        """The Redis server shared by workers (the broker's), or None on the embedded default."""
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    def embedded_broker_dir(self) -> Path:
        return self.data_dir / "broker"

    def resolved_secret_key(self) -> str:
        """The configured secret key, or one generated once into ``data/secret_key``."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            private_dir(path.parent)
            try:
                create_private_file(path, secrets.token_urlsafe(48).encode())
            except FileExistsError:  # another process generated it first: use theirs
                pass
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The cached settings of this process."""
    return Settings()
