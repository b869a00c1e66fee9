"""The ``monitor`` commands of CONTRACTS.md, run as a user runs them (a subprocess)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.fixtures import feeds
from tests.support.cli import monitor
from tests.support.feedserver import FeedServer, Route

CONTRACT_COMMANDS = [
    "match",
    "poll",
    "export mentions",
    "spikes detect",
    "digest send",
    "users add",
    "up",
    "web",
    "db upgrade",
]


@pytest.mark.parametrize("command", CONTRACT_COMMANDS)
def test_every_contract_command_answers_help(command):
    done = monitor(*command.split(), "--help")
    assert done.returncode == 0, done.stderr
    if command not in ("db upgrade",):
        assert "--config" in done.stdout


def test_match_reads_json_lines_and_writes_offsets(tmp_path):
    config = tmp_path / "people.toml"
    config.write_text(feeds.CONFIG_PEOPLE, encoding="utf-8")
    lines = [{"id": 1, "text": "Суд: Владимир Воронцов"}, {"id": 2, "text": "the Vorontsov Palace"}]
    done = monitor("match", "--config", str(config), input="\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0]["people"] == ["Vladimir Vorontsov"]
    assert lines[0]["text"][out[0]["matches"][0]["start"] : out[0]["matches"][0]["end"]] == "Владимир Воронцов"
    assert out[1] == {"id": 2, "people": [], "matches": []}


def test_a_bad_config_stops_with_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{tmp_path}/never/monitor.core.db")
    config = tmp_path / "bad.toml"
    config.write_text(feeds.CONFIG_PEOPLE + '\n[[recipient]]\nemail = "a@b.org"\npeople = ["Nobody Known"]\n')
    done = monitor("poll", "--once", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert f"{config}: recipient[1] (a@b.org): people: unknown person 'Nobody Known'" in done.stderr
    assert not (tmp_path / "never").exists()


def test_poll_once_prints_a_summary_and_exits_zero_when_a_source_fails(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        server.routes["/atom"] = Route(feeds.atom_reposts(server.url("")), content_type="application/atom+xml")
        server.routes["/down"] = Route("no", status=500, content_type="text/plain")
        settings.config.write_text(feeds.config([server.url(p) for p in ("/rss", "/atom", "/down")]), encoding="utf-8")
        done = monitor("poll", "--once")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The two feeds are polled at once: whichever stores a post first has it as new.
    assert all(re.fullmatch(rf"src{i}: fetched 5, new [0-3], duplicate [0-3], ok", lines[i]) for i in (0, 1))
    assert lines[2].startswith("src2: fetched 0, new 0, duplicate 0, failed: HTTP 500")
    assert lines[3] == "total: 3 sources, fetched 10, new 3, duplicate 3, failed 1"


def test_export_writes_every_mention_as_jsonl_and_csv(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        settings.config.write_text(feeds.config([server.url("/rss")]), encoding="utf-8")
        assert monitor("poll", "--once").returncode == 0
    records = [json.loads(line) for line in monitor("export", "mentions").stdout.splitlines()]
    assert len(records) == feeds.MATCHING_POSTS
    assert set(records[0]) == {
        "id",
        "source",
        "url",
        "canonical_url",
        "title",
        "text",
        "published_at",
        "fetched_at",
        "people",
        "cluster_id",
    }
    assert {tuple(r["people"]) for r in records} == {("Vladimir Vorontsov",), ("Anna Sokolova",)}
    rows = list(csv.DictReader(io.StringIO(monitor("export", "mentions", "--format", "csv").stdout)))
    assert sorted(r["title"] for r in rows) == sorted(r["title"] for r in records)
    later = monitor("export", "mentions", "--since", "2999-01-01T00:00:00")
    assert later.returncode == 0 and later.stdout == ""


def test_export_refuses_an_unknown_format(settings):
    done = monitor("export", "mentions", "--format", "xml")
    assert done.returncode == 2 and "--format" in done.stderr


def test_users_add_reads_the_password_from_stdin(settings):
    settings.config.write_text(feeds.CONFIG_PEOPLE, encoding="utf-8")
    done = monitor("users", "add", "lawyer@example.org", "--role", "admin", "--password-stdin", input="long password\n")
    assert done.returncode == 0, done.stderr
    assert "created admin lawyer@example.org" in done.stdout
    again = monitor(
        "users", "add", "lawyer@example.org", "--role", "reviewer", "--password-stdin", input="another password\n"
    )
    assert "updated reviewer" in again.stdout


def test_a_bad_setting_stops_with_one_line_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_FETCH_TIMEOUT", "soon")
    done = monitor("poll", "--once", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: environment: MONITOR_FETCH_TIMEOUT: Input should be a valid number, unable to parse string as a number"
    )


def test_a_spike_bucket_that_does_not_divide_the_day_stops_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_SPIKE_BUCKET_MINUTES", "50")  # 28.8 a day: the day profile would drift
    done = monitor("poll", "--once", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: environment: MONITOR_SPIKE_BUCKET_MINUTES: Value error, 50 does not divide a day (1440 minutes); "
        "use e.g. 5, 10, 15, 30, 60, 120"
    )


OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>reader</title></head><body>
<outline text="News"><outline type="rss" text="Новая газета" xmlUrl="https://example.org/rss.xml"/>
<outline type="rss" text="Already there" xmlUrl="https://example.org/feed.xml"/></outline></body></opml>"""


def test_sources_import_opml_appends_new_feeds_to_the_config_and_export_round_trips(tmp_path):
    config = tmp_path / "monitor.toml"
    config.write_text(feeds.CONFIG_PEOPLE + '\n[[source]]\nurl = "https://example.org/feed.xml"\n', encoding="utf-8")
    (tmp_path / "reader.opml").write_text(OPML, encoding="utf-8")
    done = monitor("sources", "import-opml", str(tmp_path / "reader.opml"), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "added 1 sources" in done.stdout
    exported = monitor("sources", "export-opml", "--config", str(config)).stdout
    assert 'xmlUrl="https://example.org/rss.xml"' in exported and "Новая газета" in exported
    assert exported.count("xmlUrl=") == 2


def test_sources_list_shows_health(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        server.routes["/down"] = Route("no", status=503, content_type="text/plain")
        settings.config.write_text(feeds.config([server.url("/rss"), server.url("/down")]), encoding="utf-8")
        monitor("poll", "--once")
    lines = monitor("sources", "list").stdout.splitlines()
    assert lines[0].startswith("ok ") and "last poll 5 items, 3 new" in lines[0]
    assert lines[1].startswith("failing x1") and "HTTP 503" in lines[1]
