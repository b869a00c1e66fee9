"""Two-factor sign-in in real headless Chromium against a real uvicorn on loopback, reached as
``http://localhost:PORT`` (WebAuthn's secure context without TLS): an authenticator app enrolled
and used, recovery codes that work once, and a passkey registered and used with Chromium's
virtual authenticator (the DevTools WebAuthn domain).

Never runs ``playwright install``: it drives the system Chromium at ``CHROMIUM``.
"""

from __future__ import annotations

import pytest

from monitor.review.users import add_user
from tests.support.browser import chromium, served_app
from tests.support.signin import Clock, codes_from, secret_from, signin_actions

pytestmark = pytest.mark.browser

EMAIL = "reviewer@example.org"
PASSWORD = "correct horse battery"


@pytest.fixture
def server(settings):
    """The app in uvicorn on a free loopback port, with one reviewer; yields ``http://localhost:PORT``."""
    add_user(email=EMAIL, role="reviewer", password=PASSWORD)
    with served_app("localhost") as url:  # WebAuthn refuses IP addresses as relying parties
        yield url


@pytest.fixture
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def _requests_of(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def _password(page, server: str, expected: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}{expected}")


def _code(page, server: str, code: str) -> None:
    page.fill("input[name=code]", code)
    page.click("form[action='/login/second-factor'] button[type=submit]")


def _log_out(page, server: str) -> None:
    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{server}/login")


def _enrol_app(page, server: str, clock: Clock) -> tuple[str, list[str]]:
    page.goto(f"{server}/account/two-factor")
    page.click("text=Set up an authenticator app")
    page.wait_for_url(f"{server}/account/two-factor/totp")
    assert page.locator("figure.qr svg").is_visible()
    secret = secret_from(page.content())
    page.fill("input[name=code]", clock.code(secret))
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("#recovery-codes")
    clock.step += 1
    return secret, codes_from(page.content())


def test_an_authenticator_app_is_enrolled_and_signs_in(server, browser, clock):
    page = browser.new_page()
    requests = _requests_of(page)
    _password(page, server, "/review")
    secret, codes = _enrol_app(page, server, clock)
    assert len(codes) == 10
    _log_out(page, server)
    _password(page, server, "/login/second-factor")
    _code(page, server, "000000" if clock.code(secret) != "000000" else "111111")
    assert page.locator("p.error").first.inner_text().startswith("That code did not work")
    _code(page, server, clock.code(secret))
    page.wait_for_url(f"{server}/review")
    assert all(url.startswith(server) for url in requests), "a request left the monitor"
    assert signin_actions()[-1][1]["method"] == "totp"


def test_a_recovery_code_signs_in_once_only(server, browser, clock):
    page = browser.new_page()
    _password(page, server, "/review")
    _, codes = _enrol_app(page, server, clock)
    _log_out(page, server)
    _password(page, server, "/login/second-factor")
    _code(page, server, codes[4])
    page.wait_for_url(f"{server}/review")
    _log_out(page, server)
    _password(page, server, "/login/second-factor")
    _code(page, server, codes[4])
    page.wait_for_selector("p.error[role=alert]")
    assert page.url == f"{server}/login/second-factor"
    assert [a for a, _ in signin_actions()].count("recovery-code-used") == 1


def _virtual_authenticator(page) -> tuple[object, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, made["authenticatorId"]


def test_a_passkey_is_registered_and_used_as_the_second_factor(server, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    cdp, authenticator = _virtual_authenticator(page)
    _password(page, server, "/review")
    page.goto(f"{server}/account/two-factor")
    page.wait_for_selector("body[data-passkeys=ready]", state="attached")
    page.fill("#passkey-name", "test laptop")
    page.click("button[data-passkey=register]")
    page.wait_for_url(f"{server}/account/two-factor?first=1")
    assert "test laptop (localhost)" in page.locator("#passkeys").inner_text()
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1
    _log_out(page, server)
    _password(page, server, "/login/second-factor")
    page.wait_for_selector("body[data-passkeys=ready]", state="attached")
    page.click("button[data-passkey=signin]")
    page.wait_for_url(f"{server}/review")
    assert errors == []
    actions = signin_actions()
    assert ("passkey-added", {"name": "test laptop"}) in actions
    assert actions[-1][0] == "signin" and actions[-1][1]["method"] == "passkey"
