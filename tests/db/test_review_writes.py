"""The admin's and reviewer's writes as plain domain functions (issue 15), without the web:
each writes its audit entry, and the rules hold ("config rows follow the file, web rows
survive", no self-demotion, known people only), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from monitor.core.db import session_scope
from monitor.core.models import Alias, AuditEntry, ExclusionSuggestion, Person, Recipient, Source, Spike, User, utcnow
from monitor.core.storage.matcher_cache import matcher_for
from monitor.review import accounts, exclusions, people, preferences, recipients, sources, spikes
from monitor.review.errors import Conflict, Malformed, NeedsConfirmation, NotFound, Refused, Unprocessable
from monitor.review.signin import enrolment, factors, recovery
from tests.support.spikes import make_spike


def _admin(session: Session) -> User:
    user = User(email="admin@example.org", role="admin", password_hash="x", created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def _audit(session: Session) -> list[tuple[str, str]]:
    return [(e.action, e.target) for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def _add_source(session: Session, admin: User, url: str = "https://example.org/feed.xml") -> Source:
    entry = sources.parse_entry(url=url, kind="rss", name="")
    return sources.add_source(session, entry=entry, private_named=[], confirm=False, actor=admin, now=utcnow())


def test_a_removed_web_source_comes_back_when_added_again_and_each_step_is_audited(settings):
    with session_scope() as session:
        admin = _admin(session)
        row = _add_source(session, admin)
        with pytest.raises(Refused, match="is already a source"):
            _add_source(session, admin)
        sources.change_source(session, source_id=row.id, action="remove", actor=admin, now=utcnow())
        again = _add_source(session, admin)
        assert again.id == row.id and again.removed_at is None and again.enabled and again.origin == "web"
        target = f"source:{row.id}"
        assert _audit(session) == [("source-add", target), ("source-remove", target), ("source-add", target)]
        assert session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first().before == {"removed": True}


def test_a_config_source_is_read_only_and_a_bad_action_or_private_search_is_refused(settings):
    with session_scope() as session:
        admin = _admin(session)
        config = Source(url="https://example.org/config.xml", name="c", kind="rss", origin="config")
        session.add(config)
        session.flush()
        with pytest.raises(Conflict, match="config file"):
            sources.change_source(session, source_id=config.id, action="disable", actor=admin, now=utcnow())
        web = _add_source(session, admin)
        with pytest.raises(Malformed):
            sources.change_source(session, source_id=web.id, action="explode", actor=admin, now=utcnow())
        with pytest.raises(NotFound):
            sources.change_source(session, source_id=web.id + 100, action="enable", actor=admin, now=utcnow())
        entry = sources.parse_entry(url="https://news.google.com/rss/search?q=Ana", kind="rss", name="")
        with pytest.raises(NeedsConfirmation) as held:
            sources.add_source(session, entry=entry, private_named=["Ana"], confirm=False, actor=admin, now=utcnow())
        assert "Ana" in held.value.warning
        assert config.enabled and _audit(session) == [("source-add", f"source:{web.id}")]


def _add_person(session: Session, admin: User, name: str, *, aliases=(), confirm=False) -> Person:
    return people.add_person(
        session,
        name=name,
        aliases=list(aliases),
        exclude=[],
        hashtags=[],
        handles=[],
        private=False,
        confirm=confirm,
        matcher=matcher_for(session),
        actor=admin,
        now=utcnow(),
    )


def test_a_new_person_clashing_with_a_tracked_alias_is_refused_and_a_lookalike_needs_confirmation(settings):
    with session_scope() as session:
        admin = _admin(session)
        ana = _add_person(session, admin, "Ana Vorontsova", aliases=["Anya V"])
        assert {(a.kind, a.text, a.origin) for a in people.terms(session, ana.id)} >= {("alias", "Anya V", "web")}
        entry = session.exec(select(AuditEntry)).one()
        assert entry.action == "person-add" and "alias:Anya V" in entry.after["terms"]
        with pytest.raises(Refused, match="already a name of"):
            _add_person(session, admin, "anya  v")
        with pytest.raises(Refused, match="is already tracked"):
            _add_person(session, admin, "Ana Vorontsova")
        with pytest.raises(NeedsConfirmation):
            _add_person(session, admin, "Vorontsova Palace")
        assert _add_person(session, admin, "Vorontsova Palace", confirm=True).origin == "web"


def test_config_terms_and_people_stay_read_only_but_any_person_takes_web_terms(settings):
    with session_scope() as session:
        admin = _admin(session)
        config = Person(name="Boris Config", origin="config")
        session.add(config)
        session.flush()
        term = Alias(person_id=config.id, kind="alias", text="Boris C", origin="config")
        session.add(term)
        session.flush()
        with pytest.raises(Conflict):
            people.update_person(session, person_id=config.id, name="Other", active=True, group_names=None, actor=admin)
        with pytest.raises(Conflict):
            people.delete_term(session, person_id=config.id, term_id=term.id, actor=admin)
        with pytest.raises(Malformed):
            people.add_term(session, person_id=config.id, kind="gender", text="f", actor=admin)
        assert people.add_term(session, person_id=config.id, kind="exclude", text="Boris Street", actor=admin)
        assert not people.add_term(session, person_id=config.id, kind="exclude", text="Boris Street", actor=admin)
        added = session.exec(select(Alias).where(Alias.kind == "exclude")).one()
        people.delete_term(session, person_id=config.id, term_id=added.id, actor=admin)
        assert config.name == "Boris Config"
        assert _audit(session) == [("term-add", f"person:{config.id}"), ("term-remove", f"person:{config.id}")]


def test_an_admin_cannot_demote_or_deactivate_themselves_but_can_another(settings):
    with session_scope() as session:
        admin = _admin(session)
        for action in ("role", "deactivate"):
            with pytest.raises(Refused, match="yourself"):
                accounts.change_account(
                    session, user_id=admin.id, action=action, role="reviewer", password="", actor=admin
                )
        other = accounts.create_account(
            session, email=" Bo@Example.org", role="admin", password="long enough pw", actor=admin, now=utcnow()
        )
        with pytest.raises(Refused, match="already has an account"):
            accounts.create_account(
                session, email="bo@example.org", role="admin", password="long enough pw", actor=admin, now=utcnow()
            )
        accounts.change_account(session, user_id=other.id, action="role", role="reviewer", password="", actor=admin)
        assert admin.role == "admin" and admin.active and other.role == "reviewer"
        assert _audit(session) == [("user-add", f"user:{other.id}"), ("user-role", f"user:{other.id}")]


def test_recipients_need_known_people_and_config_ones_are_stopped_in_the_file_only(settings):
    with session_scope() as session:
        admin = _admin(session)
        session.add(Person(name="Ana"))
        config = Recipient(email="config@example.org", origin="config")
        session.add(config)
        session.flush()
        with pytest.raises(Refused, match="unknown person 'Zed'"):
            recipients.add_recipient(session, email="a@example.org", timezone="", people=["Zed"], actor=admin)
        with pytest.raises(Conflict):
            recipients.remove_recipient(session, recipient_id=config.id, actor=admin)
        row = recipients.add_recipient(session, email="a@example.org", timezone="", people=["Ana"], actor=admin)
        with pytest.raises(Refused, match="already receives"):
            recipients.add_recipient(session, email="a@example.org", timezone="", people=None, actor=admin)
        recipients.remove_recipient(session, recipient_id=row.id, actor=admin)
        assert row.people == ["Ana"] and not row.active and config.active
        assert _audit(session) == [
            ("recipient-add", f"recipient:{row.id}"),
            ("recipient-remove", f"recipient:{row.id}"),
        ]


def test_an_accepted_exclusion_adds_one_web_exclude_and_a_decided_one_is_gone(settings):
    with session_scope() as session:
        admin = _admin(session)
        person = Person(name="Ana")
        session.add(person)
        session.flush()
        suggestion = ExclusionSuggestion(person_id=person.id, phrase="Ana Street")
        session.add(suggestion)
        session.flush()
        exclusions.decide(
            session, suggestion_id=suggestion.id, decision="accept", phrase=" Ana St ", actor=admin, now=utcnow()
        )
        with pytest.raises(NotFound):
            exclusions.decide(
                session, suggestion_id=suggestion.id, decision="reject", phrase=None, actor=admin, now=utcnow()
            )
        exclude = session.exec(select(Alias).where(Alias.person_id == person.id)).one()
        assert (exclude.kind, exclude.text, exclude.origin) == ("exclude", "Ana St", "web")
        assert suggestion.status == "accepted" and suggestion.decided_by == admin.id
        assert _audit(session) == [("exclusion-accept", f"exclusion:{suggestion.id}")]


def test_alerts_set_in_the_config_are_read_only_and_a_bad_date_is_unprocessable(settings):
    with session_scope() as session:
        admin = _admin(session)
        config = Person(name="Ana", alert_from_config=True)
        web = Person(name="Bo")
        session.add_all([config, web])
        session.flush()
        with pytest.raises(Conflict):
            spikes.set_alerts(session, person_id=config.id, alert="quiet", mute_until="", actor=admin)
        with pytest.raises(Unprocessable):
            spikes.set_alerts(session, person_id=web.id, alert="quiet", mute_until="next week", actor=admin)
        spikes.set_alerts(session, person_id=web.id, alert="quiet", mute_until="2030-01-31", actor=admin)
        assert (web.alert, str(web.mute_until), config.alert) == ("quiet", "2030-01-31", "normal")
        entry = session.exec(select(AuditEntry)).one()
        assert entry.after == {"alert": "quiet", "mute_until": "2030-01-31"}


def test_a_users_timezone_is_checked_and_audited(settings):
    with session_scope() as session:
        admin = _admin(session)
        with pytest.raises(Refused, match="unknown timezone"):
            preferences.set_timezone(session, user=admin, name="Mars/Olympus")
        preferences.set_timezone(session, user=admin, name=" Europe/Berlin ")
        assert admin.timezone == "Europe/Berlin"
        assert _audit(session) == [("user-timezone", f"user:{admin.id}")]


def test_marking_a_whole_volume_spike_expected_marks_its_kinds_once_each(settings):
    made = make_spike()
    with session_scope() as session:
        admin = _admin(session)
        spikes.mark_expected(session, spike_id=made["main"], expected=True, actor=admin, now=utcnow())
        spikes.mark_expected(session, spike_id=made["main"], expected=True, actor=admin, now=utcnow())
        marked = session.exec(select(Spike).where(Spike.expected_by_reviewer == True)).all()  # noqa: E712
        assert {s.id for s in marked} == set(made["ids"].values()) and {s.expected_by for s in marked} == {admin.id}
        assert sorted(_audit(session)) == sorted(("spike_expected", f"spike:{i}") for i in made["ids"].values())
        with pytest.raises(NotFound):
            spikes.mark_expected(
                session, spike_id=max(made["ids"].values()) + 1, expected=True, actor=admin, now=utcnow()
            )


def test_the_last_second_factor_stays_while_one_is_required_and_codes_need_a_factor(settings):
    with session_scope() as session:
        admin = _admin(session)
        with pytest.raises(enrolment.FactorRefused, match="authenticator app or a passkey first"):
            enrolment.new_recovery_codes(session, user_id=admin.id)
        assert factors.add_passkey(
            session, user_id=admin.id, credential_id="cred", public_key=b"key", sign_count=0, rp_id="localhost", name=""
        )
        assert not factors.add_passkey(
            session,
            user_id=admin.id,
            credential_id="cred",
            public_key=b"key",
            sign_count=0,
            rp_id="localhost",
            name="x",
        )
        [passkey] = factors.passkeys_of(session, admin.id)
        assert len(enrolment.new_recovery_codes(session, user_id=admin.id)) == 10
        enrolment.require_second_factor(session, required=True, actor=admin)
        with pytest.raises(enrolment.FactorRefused) as refused:
            enrolment.remove_passkey(session, user_id=admin.id, passkey_id=passkey.id)
        assert refused.value.status == 409 and factors.passkeys_of(session, admin.id)
        enrolment.require_second_factor(session, required=False, actor=admin)
        enrolment.remove_passkey(session, user_id=admin.id, passkey_id=passkey.id)
        assert not factors.passkeys_of(session, admin.id) and recovery.remaining(session, user_id=admin.id) == 0
        assert [a for a, _ in _audit(session)] == [
            "passkey-added",
            "recovery-codes-new",
            "require-2fa",
            "require-2fa",
            "passkey-removed",
        ]
