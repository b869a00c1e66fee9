"""Links in digests point at the mention's permalink page on the port the web page is on:
``monitor up --port`` sets ``MONITOR_BASE_URL`` for its processes when the user did not."""

from __future__ import annotations

import re
from datetime import timedelta

from monitor.core.settings import Settings
from monitor.entry.launcher import _default_base_url
from monitor.notify.digest import send_digests
from tests.support.digest import DAY, DAY_START, MOSCOW, bodies, make_mention, make_person, make_recipient, make_source
from tests.support.web import add_reviewer, login


def test_up_sets_the_base_url_to_its_port_when_the_user_did_not(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("MONITOR_BASE_URL", raising=False)
    env: dict = {}
    _default_base_url(env, Settings(), 8123)
    assert env["MONITOR_BASE_URL"] == "http://127.0.0.1:8123"


def test_a_base_url_the_user_set_is_kept_from_the_environment_or_a_dotenv_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MONITOR_BASE_URL", "https://monitor.example.org")
    env = {"MONITOR_BASE_URL": "https://monitor.example.org"}
    _default_base_url(env, Settings(), 8123)
    assert env["MONITOR_BASE_URL"] == "https://monitor.example.org"
    monkeypatch.delenv("MONITOR_BASE_URL")
    (tmp_path / ".env").write_text("MONITOR_BASE_URL=https://from-dotenv.example.org\n")
    env = {}
    _default_base_url(env, Settings(), 8123)
    assert "MONITOR_BASE_URL" not in env  # the children read the same .env


def test_commands_run_by_hand_keep_the_documented_default(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_BASE_URL", raising=False)
    assert Settings().base_url == "http://127.0.0.1:8000"


def test_the_digest_links_each_post_to_its_permalink_page_which_opens(smtp, client, monkeypatch):
    monkeypatch.setenv("MONITOR_BASE_URL", "http://127.0.0.1:8123")
    from monitor.core.settings import get_settings

    get_settings.cache_clear()
    person = make_person()
    mention = make_mention(
        make_source(), [person], title="Воронцов задержан", published_at=DAY_START + timedelta(hours=2)
    )
    make_recipient()
    send_digests(day=DAY, force=False, digest=MOSCOW)
    [(_, text, html)] = bodies(smtp, "desk@example.org")
    link = f"http://127.0.0.1:8123/mentions/{mention.id}"
    assert f"review: {link}" in text and f'href="{link}"' in html
    assert not re.search(r"/review/\d", text + html)  # the page that never existed
    add_reviewer()
    assert login(client).status_code == 303
    page = client.get(link.removeprefix("http://127.0.0.1:8123"))
    assert page.status_code == 200 and "Воронцов задержан" in page.text
