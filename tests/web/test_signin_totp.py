"""Two-factor sign-in through the web app (TestClient), on SQLite and PostgreSQL: TOTP enrolment
and sign-in, replays, recovery codes used once, the rate limit, the admin's requirement, the
audit log, and passkeys refused on an IP address. Parsers of typed codes are property-tested.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core.db import session_scope
from monitor.core.models import User
from monitor.core.models_access import RecoveryCode, TotpFactor
from monitor.core.settings import get_settings
from monitor.review.signin import recovery, totp
from monitor.review.users import add_user
from monitor.web.app import create_app
from monitor.web.ratelimit import MAX_FAILURES
from tests.support.signin import Clock, codes_from, secret_from, signin_actions

EMAIL = "reviewer@example.org"
ADMIN = "admin@example.org"
PASSWORD = "correct horse battery"


def csrf_of(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def password_step(client: TestClient, email: str = EMAIL, password: str = PASSWORD):
    token = csrf_of(client)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )


def code_step(client: TestClient, code: str):
    token = csrf_of(client, "/login/second-factor")
    return client.post("/login/second-factor", data={"code": code, "csrf_token": token}, follow_redirects=False)


def user_id(email: str = EMAIL) -> int:
    with session_scope(get_settings().database_url) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def enrol(client: TestClient, clock: Clock) -> tuple[str, list[str]]:
    """Enrol an authenticator app through the pages; returns its secret and the recovery codes."""
    page = client.get("/account/two-factor/totp")
    assert page.status_code == 200
    secret = secret_from(page.text)
    token = csrf_of(client, "/account/two-factor")
    done = client.post("/account/two-factor/totp", data={"code": clock.code(secret), "csrf_token": token})
    assert done.status_code == 200
    clock.step += 1  # the enrolment's code is spent
    return secret, codes_from(done.text)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def app(settings):
    add_user(email=EMAIL, role="reviewer", password=PASSWORD)
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    return create_app()


def new_client(app) -> TestClient:
    return TestClient(app)


@pytest.fixture
def enrolled(app, clock) -> tuple[str, list[str]]:
    """The reviewer with an authenticator app; yields its secret and recovery codes."""
    with new_client(app) as client:
        assert password_step(client).headers["location"] == "/review"
        return enrol(client, clock)


def test_enrolment_shows_a_qr_code_of_our_own_and_stores_the_secret_encrypted(app, clock):
    with new_client(app) as client:
        password_step(client)
        page = client.get("/account/two-factor/totp").text
        assert "<svg width=" in page and 'class="qr"' in page
        assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from another site
        secret, codes = enrol(client, clock)
        assert len(codes) == 10 and len(set(codes)) == 10 and all(recovery.parse(c) for c in codes)
        again = client.get("/account/two-factor/totp")
        assert again.status_code == 409 and secret not in again.text  # never shown again
    with session_scope(get_settings().database_url) as session:
        row = session.exec(select(TotpFactor)).one()
        assert secret not in row.secret_encrypted and row.confirmed_at is not None
        stored = [r.code_hash for r in session.exec(select(RecoveryCode))]
        assert len(stored) == 10 and not any(recovery.parse(c) in stored or c in stored for c in codes)
    assert [a for a, _ in signin_actions(user_id())] == ["signin", "totp-added", "recovery-codes-new"]


def test_a_wrong_enrolment_code_confirms_nothing(app, clock):
    with new_client(app) as client:
        password_step(client)
        secret = secret_from(client.get("/account/two-factor/totp").text)
        token = csrf_of(client, "/account/two-factor")
        wrong = client.post(
            "/account/two-factor/totp",
            data={"code": clock.code(secret, 5), "csrf_token": token},
            follow_redirects=False,
        )
        assert wrong.headers["location"].endswith("error=wrong-code")
        assert secret_from(client.get("/account/two-factor/totp").text) == secret  # still pending, same secret


def test_the_password_alone_grants_nothing_and_the_code_signs_in(app, clock, enrolled):
    secret, _ = enrolled
    with new_client(app) as client:
        assert password_step(client).headers["location"] == "/login/second-factor"
        assert client.get("/review", follow_redirects=False).headers["location"] == "/login"
        assert client.get("/api/mentions").status_code == 401
        assert client.get("/account/two-factor", follow_redirects=False).headers["location"] == "/login"
        assert code_step(client, clock.code(secret, 3)).status_code == 401  # too far ahead
        signed_in = code_step(client, clock.code(secret))
        assert signed_in.headers["location"] == "/review" and client.get("/review").status_code == 200
    actions = signin_actions(user_id())
    assert ("signin-failed", "second-factor") in [(a, (after or {}).get("step")) for a, after in actions]
    assert actions[-1][0] == "signin" and actions[-1][1]["method"] == "totp"


def test_a_code_is_refused_the_second_time_within_its_window(app, clock, enrolled):
    secret, _ = enrolled
    code = clock.code(secret)
    with new_client(app) as first:
        password_step(first)
        assert code_step(first, code).status_code == 303
    with new_client(app) as second:
        password_step(second)
        assert code_step(second, code).status_code == 401
        assert code_step(second, clock.code(secret, -1)).status_code == 401  # an older step is spent too
        clock.step += 1
        assert code_step(second, f"{clock.code(secret)[:3]} {clock.code(secret)[3:]}").status_code == 303


def test_a_recovery_code_signs_in_once_only(app, clock, enrolled):
    _, codes = enrolled
    with new_client(app) as client:
        password_step(client)
        assert code_step(client, codes[0].upper().replace("-", " ")).headers["location"] == "/review"
    with new_client(app) as client:
        password_step(client)
        assert code_step(client, codes[0]).status_code == 401
        assert code_step(client, codes[1]).status_code == 303
    actions = [a for a, _ in signin_actions(user_id())]
    assert actions.count("recovery-code-used") == 2


def test_second_factor_guesses_are_limited_and_a_right_password_does_not_reset_them(app, clock, enrolled):
    secret, _ = enrolled
    with new_client(app) as client:
        password_step(client)
        for guess in range(MAX_FAILURES):
            assert code_step(client, f"{guess:06d}").status_code == 401
        assert code_step(client, clock.code(secret)).status_code == 429
        assert password_step(client).headers["location"] == "/login/second-factor"
        refused = code_step(client, clock.code(secret))
        assert refused.status_code == 429 and "Too many" in refused.text


def test_the_half_signed_in_state_expires(app, clock, enrolled, monkeypatch):
    from monitor.web import signin_steps

    monkeypatch.setattr(signin_steps, "PENDING_SECONDS", -1)  # every hold is over at once
    with new_client(app) as client:
        assert password_step(client).headers["location"] == "/login/second-factor"
        assert client.get("/login/second-factor", follow_redirects=False).headers["location"] == "/login"
        token = csrf_of(client)
        late = client.post(
            "/login/second-factor", data={"code": clock.code(enrolled[0]), "csrf_token": token}, follow_redirects=False
        )
        assert late.headers["location"] == "/login" and client.get("/review", follow_redirects=False).status_code == 303


def test_an_admin_can_require_a_second_factor_and_users_enrol_after_the_password(app, clock):
    with new_client(app) as admin:
        password_step(admin, ADMIN)
        token = csrf_of(admin, "/account/two-factor")
        assert (
            admin.post(
                "/admin/two-factor", data={"require": "on", "csrf_token": token}, follow_redirects=False
            ).status_code
            == 303
        )
    with new_client(app) as client:
        assert password_step(client).headers["location"] == "/account/two-factor"
        assert client.get("/review", follow_redirects=False).headers["location"] == "/login"
        assert "requires a second factor" in client.get("/account/two-factor").text
        enrol(client, clock)
        assert client.get("/review").status_code == 200  # enrolling finished the sign-in
        token = csrf_of(client, "/account/two-factor")
        refused = client.post("/account/two-factor/totp/remove", data={"csrf_token": token})
        assert refused.status_code == 409 and "last one" in refused.text
    assert ("require-2fa", {"before": False, "required": True}) in signin_actions(user_id(ADMIN))
    assert [a for a, _ in signin_actions(user_id())][:2] == ["signin-enrol-required", "totp-added"]


def test_a_reviewer_cannot_change_the_requirement(app):
    with new_client(app) as client:
        password_step(client)
        token = csrf_of(client, "/account/two-factor")
        assert client.post("/admin/two-factor", data={"require": "on", "csrf_token": token}).status_code == 403
        assert "Site policy" not in client.get("/account/two-factor").text


def test_removing_the_app_is_audited_and_its_recovery_codes_go_with_it(app, clock, enrolled):
    with new_client(app) as client:
        password_step(client)
        code_step(client, clock.code(enrolled[0]))
        token = csrf_of(client, "/account/two-factor")
        assert (
            client.post(
                "/account/two-factor/totp/remove", data={"csrf_token": token}, follow_redirects=False
            ).status_code
            == 303
        )
        assert "Off." in client.get("/account/two-factor").text
    with session_scope(get_settings().database_url) as session:
        assert session.exec(select(RecoveryCode)).all() == [] and session.exec(select(TotpFactor)).all() == []
    assert signin_actions(user_id())[-1][0] == "totp-removed"
    with new_client(app) as client:
        assert password_step(client).headers["location"] == "/review"


def test_failed_passwords_are_audited_without_the_typed_email(app):
    with new_client(app) as client:
        password_step(client, password="wrong password")
        password_step(client, email="typo-secret@example.org", password="wrong password")
    actions = signin_actions()
    assert [(a, after["step"]) for a, after in actions] == [("signin-failed", "password")] * 2
    assert "typo-secret" not in repr(actions)
    assert signin_actions(user_id()) == actions[:1]


def test_passkeys_are_refused_on_an_ip_address_with_a_clear_message(app):
    with TestClient(app, base_url="http://127.0.0.1") as client:
        password_step(client)
        page = client.get("/account/two-factor").text
        assert "Passkeys need the monitor on a host name" in page and 'data-passkey="register"' not in page
        token = csrf_of(client, "/account/two-factor")
        refused = client.post("/account/passkeys/options", headers={"X-CSRF-Token": token})
        assert refused.status_code == 400 and "host name" in refused.json()["detail"]


def test_passkey_options_name_the_request_host_as_relying_party(app):
    with TestClient(app, base_url="http://monitor.example.org") as client:
        password_step(client)
        token = csrf_of(client, "/account/two-factor")
        options = client.post("/account/passkeys/options", headers={"X-CSRF-Token": token}).json()
        assert options["rp"]["id"] == "monitor.example.org" and options["challenge"]
        bogus = client.post(
            "/account/passkeys",
            headers={"X-CSRF-Token": token},
            json={"credential": {"id": "AAAA", "rawId": "AAAA", "response": {}, "type": "public-key"}},
        )
        assert bogus.status_code == 400 and "could not be registered" in bogus.json()["detail"]


@hypothesis_settings(deadline=None)  # pure and bounded; a loaded machine must not fail it
@given(st.text(max_size=100))
def test_typed_codes_parse_to_a_normal_form_or_to_nothing(text):
    code, spare = totp.parse_code(text), recovery.parse(text)
    assert code is None or re.fullmatch(r"[0-9]{6}", code)
    assert spare is None or (len(spare) == 10 and set(spare) <= set(recovery.ALPHABET))


@hypothesis_settings(deadline=None)  # pure and bounded; a loaded machine must not fail it
@given(st.lists(st.sampled_from([" ", "-", ""]), min_size=10, max_size=10), st.booleans())
def test_a_recovery_code_survives_how_it_is_typed(separators, upper):
    code = recovery.generate()
    raw = code.replace("-", "")
    typed = "".join(ch + sep for ch, sep in zip(raw, separators))
    assert recovery.parse(typed.upper() if upper else typed) == raw


@hypothesis_settings(deadline=None)  # pure and bounded; a loaded machine must not fail it
@given(st.integers(min_value=0, max_value=999_999), st.sampled_from(["", " ", "-"]))
def test_a_six_digit_code_parses_however_it_is_split(number, separator):
    digits = f"{number:06d}"
    assert totp.parse_code(f" {digits[:3]}{separator}{digits[3:]} ") == digits


def test_an_admin_resets_a_users_lost_factors(app, clock, enrolled):
    with new_client(app) as reviewer:
        password_step(reviewer)
        code_step(reviewer, clock.code(enrolled[0]))
        assert reviewer.get("/review").status_code == 200
        with new_client(app) as admin:
            password_step(admin, ADMIN)
            token = csrf_of(admin, "/admin/users")
            assert "Reset second factors" in admin.get("/admin/users").text
            done = admin.post(
                f"/admin/users/{user_id()}/two-factor/reset", data={"csrf_token": token}, follow_redirects=False
            )
            assert done.headers["location"] == "/admin/users"
            assert admin.post("/admin/users/999999/two-factor/reset", data={"csrf_token": token}).status_code == 404
        assert reviewer.get("/review", follow_redirects=False).status_code == 303  # that session ended
    with new_client(app) as client:
        assert password_step(client).headers["location"] == "/review"  # no factor left to ask for
    entry = [(a, after) for a, after in signin_actions() if a == "2fa-reset"]
    assert entry == [("2fa-reset", {"totp": True, "passkeys": 0})]
    with session_scope(get_settings().database_url) as session:
        assert session.exec(select(RecoveryCode)).all() == []


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50, deadline=None)
@given(secret=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=64))
def test_a_stored_secret_reads_back_only_under_the_same_key(settings, monkeypatch, secret):
    stored = totp.encrypt(secret)
    assert secret not in stored and totp.decrypt(stored) == secret
    monkeypatch.setenv("MONITOR_SECRET_KEY", "another key")
    get_settings.cache_clear()
    try:
        with pytest.raises(totp.SecretUnreadable):
            totp.decrypt(stored)
    finally:
        monkeypatch.setenv("MONITOR_SECRET_KEY", "test-secret-key")
        get_settings.cache_clear()
