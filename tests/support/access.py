"""A small world of two cases for the per-case access tests (issue 20).

"Alice Police" belongs to the group "Police cases", "Boris Border" to "Border cases", "Nadia
Nobody" to no group. One mention each, and one naming Alice and Boris together. Reviewers: one
of the police group, one of no group (as every reviewer was before groups existed); one admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core.db import session_scope
from monitor.core.models import Alias, Cluster, Mention, MentionPerson, Person, Source, Spike, User, utcnow
from monitor.core.settings import get_settings
from monitor.core.storage.groups import set_person_groups, set_user_groups
from monitor.review.users import add_user

PASSWORD = "correct horse battery"
POLICE_REVIEWER = "police@example.org"
PLAIN_REVIEWER = "plain@example.org"
ADMIN = "admin@example.org"
HIDDEN_NAME = "Boris Border"
HIDDEN_TITLE = "Border secret hearing"


@dataclass
class World:
    alice: int
    boris: int
    nadia: int
    police_mention: int
    border_mention: int
    both_mention: int
    free_mention: int
    border_cluster: int
    border_spike: int


def db():
    return session_scope(get_settings().database_url)


def _mention(session, source: Source, guid: str, title: str, people: list[tuple[Person, str]], cluster=None) -> int:
    mention = Mention(
        source_id=source.id,
        guid=guid,
        url=f"https://news.example/{guid}",
        title=title,
        text=f"{title}: the court sat today.",
        fetched_at=utcnow() - timedelta(hours=1),
        cluster_id=cluster,
    )
    session.add(mention)
    session.flush()
    for person, alias in people:
        session.add(MentionPerson(mention_id=mention.id, person_id=person.id, alias=alias))
    return mention.id


def build_world() -> World:
    """Insert the people, groups, mentions, a spike and the three users; returns their ids."""
    for email, role in ((POLICE_REVIEWER, "reviewer"), (PLAIN_REVIEWER, "reviewer"), (ADMIN, "admin")):
        add_user(email=email, role=role, password=PASSWORD)
    with db() as session:
        source = Source(url="https://news.example/feed", name="News")
        alice, boris, nadia = Person(name="Alice Police"), Person(name=HIDDEN_NAME), Person(name="Nadia Nobody")
        cluster = Cluster(key="border-story", created_at=utcnow())
        session.add_all([source, alice, boris, nadia, cluster])
        session.flush()
        for person, alias in ((alice, "Police"), (boris, "Border"), (nadia, "Nobody")):
            session.add(Alias(person_id=person.id, kind="alias", text=alias))
        set_person_groups(session, alice, ["Police cases"], origin="config")
        set_person_groups(session, boris, ["Border cases"], origin="config")
        police = session.exec(select(User).where(User.email == POLICE_REVIEWER)).one()
        set_user_groups(session, police, ["Police cases"])
        world = World(
            alice=alice.id,
            boris=boris.id,
            nadia=nadia.id,
            police_mention=_mention(session, source, "p", "Police hearing", [(alice, "Police")]),
            border_mention=_mention(session, source, "b", HIDDEN_TITLE, [(boris, "Border")], cluster.id),
            both_mention=_mention(session, source, "pb", "Joint hearing", [(alice, "Police"), (boris, "Border")]),
            free_mention=_mention(session, source, "n", "Nobody hearing", [(nadia, "Nobody")]),
            border_cluster=cluster.id,
            border_spike=0,
        )
        spike = Spike(
            person_id=boris.id,
            hour=utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1),
            count=9,
            expected=1.0,
            score=8.0,
            detected_at=utcnow(),
        )
        session.add(spike)
        session.flush()
        world.border_spike = spike.id
        return world


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def login(client: TestClient, email: str) -> str:
    """Sign ``email`` in; returns the session's CSRF token."""
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client.get("/api/me").json()["csrf_token"]
