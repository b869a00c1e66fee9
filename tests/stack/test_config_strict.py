"""The config is strict: unknown keys stop with one line, and an emptying config is refused."""

from __future__ import annotations

import logging
import subprocess

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import ConfigError, load_watchlist, parse_watchlist
from monitor.core.models import Person, Source
from monitor.core.storage.config_sync import EmptyConfigError, sync_config
from tests.support import cli

FULL = """
[[person]]
name = "Vladimir Vorontsov"
aliases = ["Vorontsov"]

[[source]]
url = "http://127.0.0.1:9/feed.xml"
name = "Example"

[[recipient]]
email = "desk@example.org"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[person]]\nname = "Ivan Petrov"\nalias = ["Petrov"]\n',
            "person[1] (Ivan Petrov): alias: unknown key; did you mean 'aliases'?",
        ),
        (
            '[[person]]\nname = "Ivan Petrov"\nexcludes = ["Petrov Street"]\n',
            "person[1] (Ivan Petrov): excludes: unknown key; did you mean 'exclude'?",
        ),
        (
            '[[source]]\nurl = "https://example.org/rss"\nknd = "rss"\n',
            "source[1] (https://example.org/rss): knd: unknown key; did you mean 'kind'?",
        ),
        (
            '[[recipient]]\nemail = "desk@example.org"\npeeple = []\n',
            "recipient[1] (desk@example.org): peeple: unknown key",
        ),
        ('[digest]\nsend_at = "08:00"\nzone = "UTC"\n', "digest: zone: unknown key"),
        ('[[person]]\nname = "Ivan Petrov"\nprivate = true\nwhatever = 1\n', "person[1] (Ivan Petrov): "),
        ("[strem.bluesky]\nenabled = true\n", "unknown table 'strem'"),
    ],
)
def test_an_unknown_key_in_any_table_stops_with_one_line_naming_file_entry_and_key(tmp_path, text, expected):
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_watchlist(path)
    assert str(raised.value).startswith(f"{path}: ") and expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_loggable_form_of_a_config_error_names_no_person():
    with pytest.raises(ConfigError) as raised:
        parse_watchlist({"person": [{"name": "Ivan Petrov", "alias": ["Petrov"]}]}, "m.toml")
    assert raised.value.loggable == "m.toml: person[1]: alias: unknown key"
    assert "Petrov" not in raised.value.loggable


def _sync(url: str, text: str, *, allow_empty: bool = False) -> None:
    watchlist = parse_watchlist(__import__("tomllib").loads(text), "monitor.toml")
    with db.session_scope(url) as session:
        sync_config(session, watchlist=watchlist, allow_empty=allow_empty)


def _followed(url: str) -> tuple[list[bool], list[bool]]:
    with db.session_scope(url) as session:
        return list(session.exec(select(Person.active))), list(session.exec(select(Source.enabled)))


@pytest.mark.parametrize("emptied", ["", '[[recipient]]\nemail = "desk@example.org"\n', FULL.split("[[source]]")[0]])
def test_a_config_that_would_stop_every_person_or_source_is_refused_and_nothing_changes(db_url, emptied):
    _sync(db_url, FULL)
    with pytest.raises(EmptyConfigError) as raised:
        _sync(db_url, emptied)
    assert "--allow-empty" in str(raised.value) and "Vorontsov" not in str(raised.value)
    assert _followed(db_url) == ([True], [True])


def test_allow_empty_deactivates_and_logs_each_row_by_id_without_names(db_url, caplog):
    _sync(db_url, FULL)
    with caplog.at_level(logging.INFO, logger="monitor.core.storage.config_sync"):
        _sync(db_url, "", allow_empty=True)
    assert _followed(db_url) == ([False], [False])
    logged = {(r.getMessage(), tuple(k for k in vars(r) if k.endswith("_id"))) for r in caplog.records}
    assert logged == {
        ("config sync deactivated a person", ("person_id",)),
        ("config sync deactivated a source", ("source_id",)),
        ("config sync deactivated a recipient", ("recipient_id",)),
    }
    assert "Vorontsov" not in caplog.text and "127.0.0.1" not in caplog.text


def test_a_fresh_database_accepts_an_empty_config(db_url):
    _sync(db_url, "")
    assert _followed(db_url) == ([], [])


def _monitor(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path}/data/monitor.core.db",
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_SECRET_KEY": "test",
        "PATH": "/usr/bin:/bin",
    }
    return cli.monitor(*args, cwd=tmp_path, env=env)


def test_the_cli_refuses_an_empty_monitor_toml_unless_given_allow_empty(tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(FULL, encoding="utf-8")
    assert _monitor(tmp_path, "sources", "list", "--config", str(config)).returncode == 0
    config.write_text("", encoding="utf-8")
    refused = _monitor(tmp_path, "sources", "list", "--config", str(config))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: {config}: no [[person]] entries") and refused.stderr.count("\n") == 1
    assert _followed(f"sqlite:///{tmp_path}/data/monitor.core.db") == ([True], [True])
    allowed = _monitor(tmp_path, "sources", "list", "--config", str(config), "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    assert _followed(f"sqlite:///{tmp_path}/data/monitor.core.db") == ([False], [False])


TABLE_ENTRIES = {
    "person": {"name": "Ivan Petrov"},
    "source": {"url": "https://example.org/rss"},
    "recipient": {"email": "desk@example.org"},
    "digest": {},
}


@given(st.sampled_from(sorted(TABLE_ENTRIES)), st.text(min_size=1, max_size=30))
def test_any_key_a_table_does_not_define_is_refused_in_one_line_naming_it(table, key):
    from monitor.core.config_file import TABLES

    model = TABLES[table][1]
    assume(key not in model.model_fields and key not in TABLE_ENTRIES[table])
    entry = {**TABLE_ENTRIES[table], key: "x"}
    raw = {table: entry if table == "digest" else [entry]}
    with pytest.raises(ConfigError) as raised:
        parse_watchlist(raw, "m.toml")
    label = table if table == "digest" else f"{table}[1]"
    assert str(raised.value).startswith(f"m.toml: {label}") and "unknown key" in str(raised.value)
    shown = key if key.isprintable() else repr(key)
    assert raised.value.loggable == f"m.toml: {label}: {shown}: unknown key"
    assert "\n" not in str(raised.value)


def test_workers_keep_the_last_config_when_emptied_unless_allowed_by_the_setting(settings, monkeypatch, caplog):
    from monitor.core.settings import get_settings
    from workers.tasks import _sync_config

    settings.config.write_text(FULL, encoding="utf-8")
    assert _sync_config() is not None
    settings.config.write_text("# emptied by mistake\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="workers.tasks"):
        assert _sync_config() is None
    assert _followed(settings.database_url) == ([True], [True])
    assert "no [[person]] entries" in caplog.text and "Vorontsov" not in caplog.text
    monkeypatch.setenv("MONITOR_ALLOW_EMPTY_CONFIG", "true")
    get_settings.cache_clear()
    assert _sync_config() is not None
    assert _followed(settings.database_url) == ([False], [False])
