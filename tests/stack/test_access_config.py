"""Per-case access (issue 20): the person key ``groups``, config syncs of memberships,
``monitor users add --groups`` and the admin's person form. On SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from monitor.core import db
from monitor.core.config_file import ConfigError, parse_watchlist
from monitor.core.models import AuditEntry, Person, User
from monitor.core.storage.config_sync import sync_config
from monitor.core.storage.groups import person_groups, user_groups
from monitor.review.users import add_user
from monitor.web.app import create_app
from tests.support import cli
from tests.support.access import ADMIN, PASSWORD, login

SOURCE = {"url": "https://news.example/feed"}


def _watchlist(**person):
    return parse_watchlist({"person": [{"name": "Boris Border", **person}], "source": [SOURCE]}, "monitor.toml")


def test_groups_are_read_stripped_and_without_repeats():
    assert _watchlist(groups=[" Border cases", "Border cases", "Police"]).people[0].groups == ["Border cases", "Police"]
    assert _watchlist().people[0].groups == []


@pytest.mark.parametrize("groups", ["Border cases", [""], [3], ["x" * 101], [["nested"]]])
def test_a_bad_groups_value_stops_with_one_line_naming_the_file_and_key(groups):
    with pytest.raises(ConfigError) as caught:
        _watchlist(groups=groups)
    message = str(caught.value)
    assert "monitor.toml" in message and "groups" in message and "\n" not in message


@given(st.lists(st.text(max_size=30), max_size=6))
def test_any_list_of_strings_is_accepted_or_refused_with_a_config_error(groups):
    try:
        found = _watchlist(groups=groups).people[0].groups
    except ConfigError:
        return
    assert all(g == g.strip() and g for g in found) and len(set(found)) == len(found)


def _sync(url: str, **person) -> None:
    with db.session_scope(url) as session:
        sync_config(session, watchlist=_watchlist(**person), allow_empty=False)


def _groups_of(url: str, name: str) -> list[str]:
    with Session(db.get_engine(url)) as session:
        person = session.exec(select(Person).where(Person.name == name)).one()
        return person_groups(session, person.id)


def test_config_syncs_create_groups_and_follow_the_file(db_url):
    _sync(db_url, groups=["Border cases", "Police"])
    assert _groups_of(db_url, "Boris Border") == ["Border cases", "Police"]
    _sync(db_url, groups=["Police"])
    assert _groups_of(db_url, "Boris Border") == ["Police"]
    _sync(db_url)
    assert _groups_of(db_url, "Boris Border") == []


def _monitor(*args: str, input: str) -> subprocess.CompletedProcess:
    return cli.monitor(*args, input=input, timeout=300)


def _user_groups(email: str) -> list[str]:
    with db.session_scope() as session:
        return user_groups(session, session.exec(select(User).where(User.email == email)).one().id)


def test_users_add_sets_groups_and_keeps_them_when_not_given(settings):
    settings.config.write_text('[[person]]\nname = "Boris Border"\ngroups = ["Police"]\n', encoding="utf-8")
    done = _monitor(
        "users",
        "add",
        "r@example.org",
        "--role",
        "reviewer",
        "--groups",
        "Police, Border cases",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert _user_groups("r@example.org") == ["Border cases", "Police"]
    done = _monitor("users", "add", "r@example.org", "--role", "reviewer", "--password-stdin", input=PASSWORD + "\n")
    assert done.returncode == 0 and _user_groups("r@example.org") == ["Border cases", "Police"]
    done = _monitor("users", "add", "r@example.org", "--groups", "", "--password-stdin", input=PASSWORD + "\n")
    assert done.returncode == 0 and _user_groups("r@example.org") == []


def test_an_admin_sets_a_web_persons_groups_on_their_page(settings):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    with db.session_scope() as session:
        person = Person(name="Wendy Web", origin="web")
        session.add(person)
        session.flush()
        person_id = person.id
    with TestClient(create_app()) as client:
        csrf = login(client, ADMIN)
        page = client.get(f"/admin/people/{person_id}").text
        assert 'name="groups"' in page
        done = client.post(
            f"/admin/people/{person_id}",
            data={"csrf_token": csrf, "name": "Wendy Web", "active": "true", "groups": "Police,  Border cases"},
            follow_redirects=False,
        )
        assert done.status_code == 303
    with db.session_scope() as session:
        assert person_groups(session, person_id) == ["Border cases", "Police"]
        audit = session.exec(select(AuditEntry).where(AuditEntry.target == f"person:{person_id}")).one()
        assert audit.before["groups"] == [] and audit.after["groups"] == ["Border cases", "Police"]
