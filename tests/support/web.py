"""The web app through its HTTP interface: signing in through the real login form, the
signed-in clients (fixtures), and plain-function factories that insert what the poller would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core.config_file import parse_watchlist
from monitor.core.db import session_scope
from monitor.core.models import Alias, Cluster, Mention, MentionPerson, Person, Source, utcnow
from monitor.core.settings import get_settings
from monitor.core.storage import sync_watchlist
from monitor.review.users import add_user
from monitor.web.app import create_app

EMAIL = "reviewer@example.org"
PASSWORD = "correct horse battery"
ADMIN = "admin@example.org"


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def signed_in(role: str) -> TestClient:
    """A client of a new ``role@example.org`` user (reviewer or admin), signed in."""
    email = f"{role}@example.org"
    add_user(email=email, role=role, password=PASSWORD)
    client = TestClient(create_app())
    assert login(client, email).status_code == 303
    return client


HOSTILE_TEXT = (
    "Court hearing for Vladimir Vorontsov postponed. <script>window.pwned = 1; document.title = 'pwned'</script>"
    ' and <img src=x onerror="window.pwned = 2"> end'
)


def _db():
    return session_scope(get_settings().database_url)


def add_reviewer(email: str = EMAIL, password: str = PASSWORD) -> None:
    add_user(email=email, role="reviewer", password=password)


def add_mention(
    *,
    text: str = "Vorontsov spoke in court today.",
    title: str = "Hearing",
    url: str | None = "https://example.org/a",
    person: str = "Vladimir Vorontsov",
    alias: str = "Vorontsov",
    source: str = "Example News",
    guid: str = "a",
    fetched_ago: timedelta = timedelta(0),
) -> int:
    """Insert a source, person (+ alias), mention and link row as the poller would; returns the mention id."""
    with _db() as session:
        src = session.exec(select(Source).where(Source.name == source)).first()
        src = src or Source(url=f"https://{source.replace(' ', '').lower()}.example/feed", name=source)
        who = session.exec(select(Person).where(Person.name == person)).first() or Person(name=person)
        session.add_all([src, who])
        session.flush()
        if not session.exec(select(Alias).where(Alias.person_id == who.id, Alias.text == alias)).first():
            session.add(Alias(person_id=who.id, kind="alias", text=alias))
        mention = Mention(
            source_id=src.id, guid=guid, url=url, title=title, text=text, fetched_at=utcnow() - fetched_ago
        )
        session.add(mention)
        session.flush()
        session.add(MentionPerson(mention_id=mention.id, person_id=who.id, alias=alias))
        return mention.id


def login(client: TestClient, email: str = EMAIL, password: str = PASSWORD):
    """Sign in through the real login form (its CSRF token included); the response of the POST."""
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )


def status_of(mention_id: int) -> str:
    with _db() as session:
        return session.get(Mention, mention_id).status


@pytest.fixture
def client(settings):
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def reviewer_client(client):
    add_reviewer()
    assert login(client).status_code == 303
    return client


@pytest.fixture
def reviewer(client):
    add_reviewer()
    assert login(client).status_code == 303
    return client


def _cluster(*mention_ids: int, key: str = "story") -> int:
    with _db() as session:
        cluster = Cluster(key=key, created_at=utcnow())
        session.add(cluster)
        session.flush()
        for mention_id in mention_ids:
            session.get(Mention, mention_id).cluster_id = cluster.id
        return cluster.id


def act(client: TestClient, ids, action: str, value: str | None = None, *, fetch: bool = False):
    token = csrf_from(client.get("/review?state=all").text)
    data = {"csrf_token": token, "action": action, "ids": [str(i) for i in ids]}
    if value is not None:
        data["value"] = value
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    return client.post("/review/act", data=data, headers=headers, follow_redirects=False)


def mention(mention_id: int) -> Mention:
    with _db() as session:
        return session.get(Mention, mention_id)


def cards_in(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="mention card[^"]*" id="mention-(\d+)"', html)]


ADMIN_CONFIG = {
    "person": [{"name": "Vladimir Vorontsov", "aliases": ["Vorontsov"]}],
    "source": [{"url": "https://config.example/feed.xml", "name": "From config"}],
    "recipient": [{"email": "desk@example.org"}],
}


@pytest.fixture
def admin(client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    assert login(client, email=ADMIN).status_code == 303
    return client


def sync(config: dict = ADMIN_CONFIG) -> None:
    with _db() as session:
        sync_watchlist(session, watchlist=parse_watchlist(config, "monitor.toml"))


def post(client, path: str, page: str = "/review", **form):
    form["csrf_token"] = csrf_from(client.get(page).text)
    return client.post(path, data=form, follow_redirects=False)


def _note(mention_id: int) -> str | None:
    from monitor.core.models import Mention

    with _db() as session:
        return session.get(Mention, mention_id).note
