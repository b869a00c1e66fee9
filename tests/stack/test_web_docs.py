"""/docs in real headless Chromium: Swagger UI loads from our own files under the page CSP, and
no request leaves loopback (no CDN, no third-party favicon, no validator badge).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from monitor.web.headers import CONTENT_SECURITY_POLICY
from tests.support.browser import _log_in, _watch
from tests.support.web import add_reviewer

pytestmark = pytest.mark.browser


def test_docs_load_swagger_ui_from_our_origin_under_the_csp(server, browser):
    add_reviewer()
    page = browser.new_page()
    seen = _watch(page)
    _log_in(page, server)
    response = page.goto(f"{server}/docs")
    assert response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["cache-control"] == "no-store"
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)  # the operations are drawn
    assert page.locator(".swagger-ui .opblock").count() >= 3
    page.wait_for_load_state("networkidle")
    hosts = {urlsplit(url).hostname for url in seen["requests"] if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, seen["requests"]
    assert seen["errors"] == []
    # A script or style the CSP refused would show as a console error; none may.
    assert not [line for line in seen["console"] if "Content Security Policy" in line], seen["console"]
    page.close()


def test_docs_try_it_out_sends_the_csrf_token(server, browser):
    add_reviewer()
    page = browser.new_page()
    _log_in(page, server)
    page.goto(f"{server}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    # "Try it out" goes through the page's Swagger UI and its request interceptor: a POST passes
    # the CSRF check (404: no such mention) where one without the token is refused (403).
    call = """async (intercept) => {
        const config = window.ui.getConfigs();
        try {  // Swagger UI's fetch throws on an error status, with the response attached
            return (await window.ui.fn.fetch({
                url: "/api/mentions/999/decision", method: "POST", body: JSON.stringify({decision: "confirmed"}),
                headers: {"Content-Type": "application/json"},
                requestInterceptor: intercept ? config.requestInterceptor : undefined})).status;
        } catch (error) {
            return error.status;
        }
    }"""
    assert page.evaluate(call, True) == 404
    assert page.evaluate(call, False) == 403
    page.close()
