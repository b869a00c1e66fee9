"""Signing in through the real login form, shared by the web tests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from monitor.review.users import add_user
from monitor.web.app import create_app

PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )


def signed_in(role: str) -> TestClient:
    """A client of a new ``role@example.org`` user (reviewer or admin), signed in."""
    email = f"{role}@example.org"
    add_user(email=email, role=role, password=PASSWORD)
    client = TestClient(create_app())
    assert login(client, email).status_code == 303
    return client
