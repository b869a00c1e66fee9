"""The tests' warm command runner (tests/support/cli.py) behaves as a fresh ``python -m monitor``:
same output, exit status, environment, working folder, stdin and umask."""

from __future__ import annotations

import os

import pytest

from tests.support import cli
from tests.support.stack import free_port

# The runner is under test here, not the database: SQLite alone (every other stack test runs
# its commands through this runner on both databases).
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

CONFIG = '[[person]]\nname = "Anna Sokolova"\n\n[[source]]\nurl = "https://example.org/feed"\nname = "Example"\n'


@sqlite_only
@pytest.mark.parametrize("args", [("sources", "list"), ("db", "upgrade"), ("nonsense",)], ids=" ".join)
def test_a_forked_command_answers_as_a_fresh_process_does(settings, args):
    settings.config.write_text(CONFIG, encoding="utf-8")
    fresh = cli.monitor(*args, fresh=True)
    forked = cli.monitor(*args)
    assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)


@sqlite_only
def test_the_child_reads_the_given_stdin(settings):
    settings.config.write_text(CONFIG, encoding="utf-8")
    add = ("users", "add", "desk@example.org", "--password-stdin")
    created = cli.monitor(*add, input="a long enough password\n")
    assert created.stdout == "created reviewer desk@example.org\n", created
    short = cli.monitor(*add, input="short\n")
    assert short.returncode != 0 and "password" in short.stderr


def test_the_child_takes_the_given_environment_folder_and_umask(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "MONITOR_TRUSTED_PROXIES": "not-an-address"}
    done = cli.monitor("db", "upgrade", env=env, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: environment: MONITOR_TRUSTED_PROXIES")
    old = os.umask(0o002)
    try:
        assert cli.monitor("db", "upgrade", env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path).returncode == 0
    finally:
        os.umask(old)
    # The command's own rule (restrict_new_files) wins over the inherited umask: nothing is readable by others.
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "data").rglob("*") if p.is_file())


@sqlite_only
def test_a_command_that_outlives_its_timeout_is_killed(settings):
    settings.config.write_text(CONFIG, encoding="utf-8")
    with pytest.raises(cli.subprocess.TimeoutExpired):
        cli.monitor("web", "--port", str(free_port()), timeout=3)
