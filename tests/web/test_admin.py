"""Admin forms: people and their terms, sources, users, digest recipients — audited, and web
entries surviving a config sync while config entries stay read-only. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

from sqlmodel import select

from monitor.core.models import Alias, AuditEntry, Person, Recipient, Source, User
from tests.support.web import ADMIN_CONFIG, _db, login, post, sync

ADMIN = "admin@example.org"


def audit_actions() -> list[str]:
    with _db() as session:
        return [
            e.action
            for e in session.exec(
                select(AuditEntry).where(~AuditEntry.target.startswith("signin:")).order_by(AuditEntry.id)
            )
        ]


def person_named(name: str) -> Person | None:
    with _db() as session:
        return session.exec(select(Person).where(Person.name == name)).first()


def terms_of(person_id: int) -> dict[tuple[str, str], str]:
    with _db() as session:
        return {(a.kind, a.text): a.origin for a in session.exec(select(Alias).where(Alias.person_id == person_id))}


def test_an_admin_adds_a_person_whose_terms_survive_a_config_sync(admin):
    sync()
    response = post(
        admin,
        "/admin/people",
        name="Anna Petrova",
        aliases="Анна Петрова\nPetrova",
        exclude="Petrova Street",
        hashtags="#FreePetrova",
        handles="@petrova@example.social",
    )
    assert response.status_code == 303
    anna = person_named("Anna Petrova")
    assert (anna.origin, anna.active) == ("web", True)
    expected = {
        ("alias", "Anna Petrova"),
        ("alias", "Анна Петрова"),
        ("alias", "Petrova"),
        ("exclude", "Petrova Street"),
        ("hashtag", "#FreePetrova"),
        ("handle", "@petrova@example.social"),
    }
    assert set(terms_of(anna.id)) == expected
    sync()  # the config does not name her: she stays, active, with every term
    assert person_named("Anna Petrova").active and set(terms_of(anna.id)) == expected
    page = admin.get("/admin/people").text
    assert re.search(r"Vladimir Vorontsov</a></td>\s*<td><span class=\"origin-config\">config file", page)
    assert audit_actions() == ["person-add"]
    assert "forged message" not in admin.get("/admin/people?error=forged message&status=500").text  # not a parameter


def test_web_terms_of_a_config_person_stay_and_config_terms_are_read_only(admin):
    sync()
    vorontsov = person_named("Vladimir Vorontsov")
    assert (
        post(admin, f"/admin/people/{vorontsov.id}/terms", kind="exclude", text="Vorontsov Palace").status_code == 303
    )
    assert post(admin, f"/admin/people/{vorontsov.id}/terms", kind="alias", text="x").status_code == 400  # too short
    sync()
    terms = terms_of(vorontsov.id)
    assert terms[("exclude", "Vorontsov Palace")] == "web" and terms[("alias", "Vorontsov")] == "config"
    with _db() as session:
        config_term = session.exec(select(Alias).where(Alias.text == "Vorontsov")).one().id
        web_term = session.exec(select(Alias).where(Alias.text == "Vorontsov Palace")).one().id
    page = f"/admin/people/{vorontsov.id}"
    assert post(admin, f"{page}/terms/{config_term}/delete").status_code == 409
    assert post(admin, page, name="Renamed").status_code == 409  # name and state belong to the file
    assert post(admin, f"{page}/terms/{web_term}/delete").status_code == 303
    assert ("exclude", "Vorontsov Palace") not in terms_of(vorontsov.id) and person_named("Vladimir Vorontsov")
    assert audit_actions() == ["term-add", "term-remove"]


def test_an_admin_renames_and_deactivates_a_web_person(admin):
    sync()
    post(admin, "/admin/people", name="Anna Petrova")
    anna = person_named("Anna Petrova")
    assert post(admin, f"/admin/people/{anna.id}", name="Vladimir Vorontsov", active="true").status_code == 400
    assert post(admin, "/admin/people", name="Vladimir Vorontsov").status_code == 400  # already tracked
    assert post(admin, f"/admin/people/{anna.id}", name="Anna Petrova-Ivanova").status_code == 303  # unchecked: off
    renamed = person_named("Anna Petrova-Ivanova")
    assert (renamed.id, renamed.active) == (anna.id, False)
    with _db() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "person-edit")).one()
    assert entry.before == {"name": "Anna Petrova", "active": True}
    assert entry.after == {"name": "Anna Petrova-Ivanova", "active": False}


def test_an_admin_adds_disables_and_removes_a_web_source_that_syncs_leave_alone(admin):
    sync()
    assert post(admin, "/admin/sources", url="https://web.example/feed", kind="mastodon", name="Web").status_code == 303
    bad = post(admin, "/admin/sources", url="ftp://nope", kind="rss")
    assert bad.status_code == 400 and "bad URL" in bad.text
    assert post(admin, "/admin/sources", url="https://web.example/feed").status_code == 400  # already there
    with _db() as session:
        web = session.exec(select(Source).where(Source.origin == "web")).one()
        config = session.exec(select(Source).where(Source.origin == "config")).one()
    assert (web.kind, web.name, web.enabled) == ("mastodon", "Web", True)
    sync()
    with _db() as session:
        assert session.get(Source, web.id).enabled
    assert post(admin, f"/admin/sources/{config.id}", action="disable").status_code == 409
    assert post(admin, f"/admin/sources/{web.id}", action="disable").status_code == 303
    with _db() as session:
        assert not session.get(Source, web.id).enabled
    html = admin.get("/sources").text
    assert re.search(rf'id="source-{config.id}".*?config file', html, re.S)
    assert post(admin, f"/admin/sources/{web.id}", action="remove").status_code == 303
    assert "web.example" not in admin.get("/sources").text
    assert post(admin, "/admin/sources", url="https://web.example/feed", kind="rss").status_code == 303  # back
    with _db() as session:
        back = session.get(Source, web.id)
    assert (back.enabled, back.removed_at, back.kind) == (True, None, "rss")
    assert audit_actions() == ["source-add", "source-disable", "source-remove", "source-add"]


def test_an_admin_manages_users_and_a_reset_password_ends_old_sessions(admin, settings):
    from fastapi.testclient import TestClient

    from monitor.web.app import create_app

    assert post(admin, "/admin/users", email="New@Example.org", role="reviewer", password="short").status_code == 400
    assert (
        post(admin, "/admin/users", email="new@example.org", role="reviewer", password="a long password").status_code
        == 303
    )
    with _db() as session:
        new = session.exec(select(User).where(User.email == "new@example.org")).one()
    with TestClient(create_app()) as other:
        assert login(other, email="new@example.org", password="a long password").status_code == 303
        assert other.get("/admin/users").status_code == 403
        assert post(admin, f"/admin/users/{new.id}", action="role", role="admin").status_code == 303
        assert other.get("/admin/users").status_code == 200  # the role applies at once
        assert post(admin, f"/admin/users/{new.id}", action="password", password="another long one").status_code == 303
        assert other.get("/review", follow_redirects=False).headers["location"] == "/login"  # old session ended
        assert login(other, email="new@example.org", password="another long one").status_code == 303
        assert post(admin, f"/admin/users/{new.id}", action="deactivate").status_code == 303
        assert other.get("/review", follow_redirects=False).status_code == 303
        assert login(other, email="new@example.org", password="another long one").status_code == 401
    with _db() as session:
        me = session.exec(select(User).where(User.email == ADMIN)).one()
    refused = post(admin, f"/admin/users/{me.id}", action="role", role="reviewer")
    assert refused.status_code == 400 and "yourself" in refused.text
    assert audit_actions() == ["user-add", "user-role", "user-password", "user-deactivate"]
    with _db() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user-password")).one()
    assert "another long one" not in str(entry.after) and entry.after["password"] == "reset"


def test_an_admin_adds_and_removes_digest_recipients_that_syncs_keep(admin):
    sync()
    ok = post(
        admin, "/admin/recipients", email="team@example.org", timezone="Asia/Tbilisi", people=["Vladimir Vorontsov"]
    )
    assert ok.status_code == 303
    assert post(admin, "/admin/recipients", email="x@example.org", timezone="Mars/Base").status_code == 400
    assert post(admin, "/admin/recipients", email="y@example.org", people=["Nobody"]).status_code == 400
    assert post(admin, "/admin/recipients", email="desk@example.org").status_code == 400  # the config's
    sync()
    with _db() as session:
        team = session.exec(select(Recipient).where(Recipient.email == "team@example.org")).one()
        desk = session.exec(select(Recipient).where(Recipient.email == "desk@example.org")).one()
    assert (team.origin, team.active, team.timezone, team.people) == (
        "web",
        True,
        "Asia/Tbilisi",
        ["Vladimir Vorontsov"],
    )
    html = admin.get("/admin/recipients").text
    assert re.search(rf'id="recipient-{desk.id}".*?config file', html, re.S)
    assert post(admin, f"/admin/recipients/{desk.id}/delete").status_code == 409
    assert post(admin, f"/admin/recipients/{team.id}/delete").status_code == 303
    with _db() as session:
        assert not session.get(Recipient, team.id).active and session.get(Recipient, desk.id).active
    assert audit_actions() == ["recipient-add", "recipient-remove"]


def test_an_accepted_exclusion_survives_a_config_sync(admin):
    from tests.support.web import act

    sync()
    from tests.support.web import add_mention

    mention_id = add_mention(text="Tourists queue at Vorontsov Palace today.", alias="Vorontsov")
    act(admin, [mention_id], "label", "unrelated")
    page = admin.get("/admin/exclusions").text
    suggestion = re.search(r'id="exclusion-(\d+)"', page).group(1)
    post(admin, f"/admin/exclusions/{suggestion}", decision="accept", phrase="Vorontsov Palace")
    sync()
    assert terms_of(person_named("Vladimir Vorontsov").id).get(("exclude", "Vorontsov Palace")) == "web"


def test_the_config_takes_over_a_web_entry_it_names(admin):
    sync()
    post(admin, "/admin/people", name="Anna Petrova", aliases="Petrova")
    post(admin, "/admin/sources", url="https://web.example/feed")
    sync(
        {
            **ADMIN_CONFIG,
            "person": [*ADMIN_CONFIG["person"], {"name": "Anna Petrova"}],
            "source": [*ADMIN_CONFIG["source"], {"url": "https://web.example/feed"}],
        }
    )
    anna = person_named("Anna Petrova")
    assert (anna.origin, anna.active) == ("config", True)
    assert terms_of(anna.id)[("alias", "Petrova")] == "web"  # her web terms stay hers
    with _db() as session:
        assert session.exec(select(Source).where(Source.url == "https://web.example/feed")).one().origin == "config"
    sync()  # and when the config drops them again, they are deactivated like any config entry
    assert not person_named("Anna Petrova").active
