"""The admin page for alert channels (issue 21): URLs sealed at rest, never shown or audited."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core import db
from monitor.core.models import AuditEntry, Person
from monitor.core.models_notify import NotifyChannel
from monitor.notify.channels import sealing
from tests.support.web import csrf_from, signed_in

URL = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890"


def _post(client: TestClient, path: str, **form):
    form.setdefault("csrf_token", csrf_from(client.get("/review").text))
    return client.post(path, data=form, follow_redirects=False)


@pytest.fixture
def admin(settings):
    with db.session_scope() as session:
        session.add(Person(name="Vladimir Vorontsov"))
    with signed_in("admin") as client:
        yield client


def test_an_admin_adds_a_channel_that_is_stored_sealed_and_never_shown(admin):
    assert _post(admin, "/admin/channels", name="Desk <chat>", url=URL, people="Vladimir Vorontsov").status_code == 303
    page = admin.get("/admin/channels").text
    assert "Desk &lt;chat&gt;" in page and "Telegram" in page and "AAHdq" not in page
    with db.session_scope() as session:
        row = session.exec(select(NotifyChannel)).one()
        audit = [
            (e.action, json.dumps([e.before, e.after]))
            for e in session.exec(select(AuditEntry).where(~AuditEntry.target.startswith("signin:")))
        ]
    assert "AAHdq" not in row.url_sealed and sealing.unseal(row.url_sealed, "test-secret-key") == URL
    assert row.people == ["Vladimir Vorontsov"] and row.service == "Telegram"
    assert [action for action, _ in audit] == ["channel-add"] and all("AAHdq" not in text for _, text in audit)


def test_a_url_apprise_does_not_accept_is_refused_in_one_line(admin):
    response = _post(admin, "/admin/channels", name="Desk", url="nonsense://what")
    assert response.status_code == 400 and "Apprise does not accept this channel URL" in response.text
    assert _post(admin, "/admin/channels", name="Desk", url=URL, people="Nobody").status_code == 400


def test_removing_a_channel_forgets_its_url(admin):
    _post(admin, "/admin/channels", name="Desk", url=URL)
    with db.session_scope() as session:
        channel_id = session.exec(select(NotifyChannel.id)).one()
    assert _post(admin, f"/admin/channels/{channel_id}/delete").status_code == 303
    with db.session_scope() as session:
        row = session.get(NotifyChannel, channel_id)
        assert not row.active and row.url_sealed == ""


def test_only_admins_with_a_csrf_token_manage_channels(admin):
    assert _post(admin, "/admin/channels", name="Desk", url=URL, csrf_token="forged").status_code == 403
    with signed_in("reviewer") as reviewer:
        assert reviewer.get("/admin/channels").status_code == 403
        assert _post(reviewer, "/admin/channels", name="Desk", url=URL).status_code == 403
    with db.session_scope() as session:
        assert session.exec(select(NotifyChannel)).all() == []
