"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, Redis, settings.

Database tests take ``db_url`` and run twice, once per backend. When ``CI`` is set a
missing PostgreSQL or Redis fails the test instead of skipping it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from monitor.core import db as monitor_db
from monitor.core import settings as monitor_config
from monitor.review import users
from tests.support import databases

# The shared fixtures (signed-in clients, SMTP, browser, compose processes …), registered once
# for the whole tree so that no test module imports another's.
pytest_plugins = [
    "tests.support.web",
    "tests.support.smtp",
    "tests.support.alerts",
    "tests.support.browser",
    "tests.support.compose",
    "tests.support.sources",
]

REDIS_URL = os.environ.get("MONITOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_TEMPLATE_DB = f"monitor_tmpl_{os.getpid()}"


def unavailable(what: str, exc: Exception):
    """Skip locally, fail in CI: a missing server must never pass silently there."""
    message = f"{what} is not reachable: {exc}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_template():
    """A migrated PostgreSQL database that each test copies (CREATE DATABASE … TEMPLATE)."""
    engine = databases.pg_admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_TEMPLATE_DB}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{_TEMPLATE_DB}"')
    except sa.exc.OperationalError as exc:
        unavailable("PostgreSQL", exc)
    url = databases.pg_url(_TEMPLATE_DB)
    monitor_db.upgrade(url)
    monitor_db.get_engine(url).dispose()
    yield _TEMPLATE_DB
    databases.drop_later([url])


@pytest.fixture(scope="session")
def pg_pool(pg_template):
    pool = databases.PgPool(pg_template)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return databases.SqliteTemplate(
        tmp_path_factory.mktemp("sqlite-template"), monitor_db.upgrade, lambda url: monitor_db.get_engine(url).dispose()
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """A fresh, migrated database URL: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_template").copy_to(tmp_path / "db" / "monitor.core.db")
        yield url
        monitor_db.get_engine(url).dispose()
        return
    pool = request.getfixturevalue("pg_pool")
    url = pool.take()
    yield url
    monitor_db.get_engine(url).dispose()
    pool.give_back(url)


# argon2id as the product uses it, with the cheapest parameters: a hash and a check cost about
# 0.4 s of CPU at argon2-cffi's defaults, and the web tests sign in a few hundred times. The
# product's own parameters are checked in tests/db/test_users.py (marker ``product_argon2``)
# and used by every process the stack tests start.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


@pytest.fixture(autouse=True)
def quick_password_hashes(request, monkeypatch):
    if request.node.get_closest_marker("product_argon2") is None:
        monkeypatch.setattr(users, "_hasher", QUICK_HASHER)


@pytest.fixture
def redis_url() -> str:
    """A Redis URL on a database number of its own, emptied before the test."""
    import redis

    # A database number per test process, so parallel runs (xdist, two checkouts) never flush each other.
    number = 1 + os.getpid() % 15
    base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") >= 3 else REDIS_URL
    url = f"{base}/{number}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        unavailable("Redis", exc)
    yield url
    client.flushdb()


@pytest.fixture
def settings(monkeypatch, tmp_path: Path, db_url: str):
    """Point every MONITOR_* setting at this test's database and a private data folder."""
    data_dir = tmp_path / "data"
    env = {
        "MONITOR_DATABASE_URL": db_url,
        "MONITOR_DATA_DIR": str(data_dir),
        "MONITOR_CONFIG": str(tmp_path / "monitor.toml"),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_SECRET_KEY": "test-secret-key",
        # Every test feed is on 127.0.0.1: one host. Politeness has tests of its own.
        "MONITOR_HOST_MIN_GAP_SECONDS": "0",
        "MONITOR_HOST_CONCURRENCY": "8",
    }
    for key in [k for k in os.environ if k.startswith("MONITOR_") and not k.startswith("MONITOR_TEST_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    monitor_config.get_settings.cache_clear()
    yield monitor_config.get_settings()
    monitor_config.get_settings.cache_clear()
