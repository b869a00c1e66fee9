"""The admin "find feeds" form: the feeds found are offered, each added by its own button. Both databases."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Source
from monitor.review.users import add_user
from monitor.web.app import create_app
from tests.support.feedserver import FeedServer, Route

PASSWORD = "correct horse battery"
HTML = "text/html; charset=utf-8"
PAGE = (
    '<html><head><link rel="alternate" type="application/rss+xml" title="News &lt;script&gt;alert(1)&lt;/script&gt;" href="/news.rss">'
    '<link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml"></head></html>'
)


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field"
    return found.group(1)


def _signed_in(role: str, email: str) -> TestClient:
    add_user(email=email, role=role, password=PASSWORD)
    client = TestClient(create_app())
    token = _token(client.get("/login").text)
    assert (
        client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    return client


@pytest.fixture
def admin(settings):
    with _signed_in("admin", "admin@example.org") as client:
        yield client


def test_an_admin_finds_a_sites_feeds_and_adds_the_chosen_one(admin):
    with FeedServer({"/": Route(PAGE, content_type=HTML)}) as server:
        token = _token(admin.get("/sources").text)
        page = admin.post("/admin/source-discovery", data={"address": server.url("/"), "csrf_token": token})

    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    offered = re.findall(r'name="url" value="([^"]+)"', page.text)
    assert offered == [server.url("/news.rss"), server.url("/atom.xml")]

    added = admin.post(
        "/admin/sources",
        data={"url": offered[1], "name": "Atom", "csrf_token": _token(page.text)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    with db.session_scope() as session:
        rows = session.exec(select(Source.url, Source.origin)).all()
    assert rows == [(server.url("/atom.xml"), "web")]


def test_an_address_without_feeds_says_so(admin):
    with FeedServer({"/": Route("<html><head></head></html>", content_type=HTML)}) as server:
        page = admin.post(
            "/admin/source-discovery",
            data={"address": server.url("/"), "csrf_token": _token(admin.get("/sources").text)},
        )
    assert page.status_code == 404 and "no feed found" in page.text


def test_finding_feeds_needs_an_admin_and_a_csrf_token(settings):
    with FeedServer({"/": Route(PAGE, content_type=HTML)}) as server:
        with _signed_in("reviewer", "reviewer@example.org") as reviewer:
            token = _token(reviewer.get("/review").text)
            assert (
                reviewer.post(
                    "/admin/source-discovery", data={"address": server.url("/"), "csrf_token": token}
                ).status_code
                == 403
            )
        with _signed_in("admin", "admin2@example.org") as admin:
            assert admin.post("/admin/source-discovery", data={"address": server.url("/")}).status_code == 403
    assert server.hits == []
