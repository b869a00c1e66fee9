"""The admin's "Export evidence" button and the "labelled" custody event of a review decision."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlmodel import Session, select

from monitor.core import db
from monitor.core.models import AuditEntry, User
from monitor.core.models_custody import CustodyEvent
from monitor.core.storage.custody import chain_holds
from monitor.review.triage import act
from monitor.review.users import add_user
from tests.support import custody as helpers
from tests.support.web import PASSWORD, csrf_from, signed_in


@pytest.fixture
def alice(settings):
    with Session(db.get_engine(settings.database_url), expire_on_commit=False) as session:
        person = helpers.person(session, "Alice A")
        mention = helpers.add_mention(session, people=[person], url="http://127.0.0.1/p/1", text="Alice A detained")
        helpers.add_capture(session, settings, mention)
        session.commit()
        return person, mention


def test_an_admin_downloads_the_bundle_and_it_is_audited(alice):
    person, _ = alice
    with signed_in("admin") as client:
        page = client.get(f"/admin/people/{person.id}").text
        assert "Export evidence" in page
        response = client.post(f"/admin/people/{person.id}/evidence", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "data/captures.wacz" in names and "manifest-sha256.txt" in names
    with db.session_scope() as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "evidence-export")).one()
        assert audit.target == f"person:{person.id}" and audit.after["captures"] == 1
        event = session.exec(select(CustodyEvent).where(CustodyEvent.kind == "exported")).one()
        assert event.actor == f"user:{audit.user_id}"


def test_the_export_needs_an_admin_and_a_csrf_token(alice):
    person, _ = alice
    with signed_in("reviewer") as client:
        token = csrf_from(client.get("/review").text)
        assert client.post(f"/admin/people/{person.id}/evidence", data={"csrf_token": token}).status_code in (303, 403)
    with signed_in("admin") as client:
        assert client.post(f"/admin/people/{person.id}/evidence", data={}).status_code == 403
    with db.session_scope() as session:
        assert session.exec(select(CustodyEvent).where(CustodyEvent.kind == "exported")).all() == []


def test_a_review_decision_is_a_labelled_custody_event(alice):
    person, mention = alice
    add_user(email="r@example.org", role="reviewer", password=PASSWORD)
    with db.session_scope() as session:
        user = session.exec(select(User).where(User.email == "r@example.org")).one()
        act(session, mention_ids=[mention.id], action="label", value="hostile", user=user)
    with db.session_scope() as session:
        event = session.exec(select(CustodyEvent)).one()
        assert (event.kind, event.subject, event.people) == ("labelled", f"mention:{mention.id}", f",{person.id},")
        assert json.loads(event.details)["label"] == "hostile"
        chain_holds(session)
