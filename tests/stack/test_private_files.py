"""The data folder is private from the start: folders 0700, files 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from monitor.core import db
from monitor.core.settings import Settings
from monitor.notify.mail import write_to_outbox


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """A umask that would make files world-readable: the modes must not depend on it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_database_and_its_wal_are_created_0600_in_a_0700_folder(tmp_path, open_umask):
    path = tmp_path / "data" / "monitor.core.db"
    engine = db.get_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table t (x integer)"))
        conn.execute(sa.text("insert into t values (1)"))
        assert {p.name: _mode(p) for p in path.parent.iterdir()} == {
            "monitor.core.db": 0o600,
            "monitor.core.db-wal": 0o600,
            "monitor.core.db-shm": 0o600,
        }
    assert _mode(path.parent) == 0o700
    engine.dispose()


def test_the_secret_key_and_outbox_mail_are_0600_from_creation(tmp_path, open_umask):
    settings = Settings(data_dir=tmp_path / "data", secret_key=None)
    key = settings.resolved_secret_key()
    assert len(key) > 40 and settings.resolved_secret_key() == key
    assert _mode(tmp_path / "data" / "secret_key") == 0o600 and _mode(tmp_path / "data") == 0o700
    msg = EmailMessage()
    msg["To"] = "desk@example.org"
    msg.set_content("Vladimir Vorontsov: 12 mentions")
    written = write_to_outbox(msg, settings.outbox_dir)
    assert _mode(written) == 0o600 and _mode(settings.outbox_dir) == 0o700


def test_a_monitor_command_leaves_nothing_readable_by_others(tmp_path, open_umask):
    config = tmp_path / "monitor.toml"
    config.write_text('[[person]]\nname = "Anna Sokolova"\n\n[[recipient]]\nemail = "desk@example.org"\n')
    env = {
        "PATH": "/usr/bin:/bin",
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path}/data/monitor.core.db",
    }
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "digest", "send", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    found = {str(p.relative_to(tmp_path)): _mode(p) for p in (tmp_path / "data").rglob("*")}
    assert (
        any(name.endswith(".eml") for name in found) and "data/secret_key" in found and "data/monitor.core.db" in found
    )
    assert {name: mode for name, mode in found.items() if mode & 0o077} == {}
