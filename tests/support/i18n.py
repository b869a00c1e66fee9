"""Fixtures and helpers of the team's-language tests (tests/test_i18n_*.py)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import select

from monitor.core.config_file import parse_watchlist
from monitor.core.db import session_scope
from monitor.core.models import Mention, MentionPerson, Person, Source
from monitor.core.settings import get_settings
from monitor.core.storage.config_sync import sync_config
from tests.support import paths

ARTIFACTS = paths.ARTIFACTS
PASSWORD = "correct horse battery"
NOON = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PEOPLE = [{"name": "Vladimir Vorontsov", "aliases": ["Владимир Воронцов"]}, {"name": "Anna Sokolova"}]


def sync_people(recipients: list[dict]) -> None:
    """Two people (Vladimir Vorontsov, Anna Sokolova), one source and ``recipients``, synced as a command does."""
    config = {"person": PEOPLE, "source": [{"url": "https://example.org/feed.xml"}], "recipient": recipients}
    with session_scope(get_settings().database_url) as session:
        sync_config(session, watchlist=parse_watchlist(config, "monitor.toml"), allow_empty=False)


def add_mentions(name: str, count: int) -> None:
    """``count`` mentions of ``name``, published at NOON of 2026-11-22 (Moscow's digest day)."""
    with session_scope(get_settings().database_url) as session:
        person = session.exec(select(Person).where(Person.name == name)).one()
        source = session.exec(select(Source)).first()
        for n in range(count):
            mention = Mention(
                source_id=source.id,
                guid=uuid.uuid4().hex,
                title=f"{name} story {n}",
                text="",
                url=f"https://example.org/{n}",
                published_at=NOON,
                fetched_at=NOON,
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id, alias=name))


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:300]


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]*)"', html)
    assert found, "no <html lang> in the page"
    return found.group(1)
