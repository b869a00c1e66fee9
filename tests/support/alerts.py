"""A spike with followers, an alert webhook on loopback, and what the alert ledger holds."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from monitor.core import db
from monitor.core.models import Cluster, Mention, MentionPerson, Person, Recipient, Source, Spike, SpikeAlert
from monitor.core.settings import get_settings

NOW = datetime(2025, 3, 10, 14, 25, tzinfo=timezone.utc)


HOUR = datetime(2025, 3, 10, 14, 0, tzinfo=timezone.utc)


class Hook(BaseHTTPRequestHandler):
    status = 200
    bodies: list

    def do_POST(self):
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (Hook,), {"bodies": []}))
    server.status = 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("MONITOR_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    get_settings.cache_clear()
    yield server
    server.shutdown()


def make_spike(*, followers=("desk@example.org",), others=("other@example.org",)) -> int:
    with db.session_scope() as session:
        person, someone = Person(name="Vladimir Vorontsov"), Person(name="Someone Else")
        source = Source(url="https://example.org/feed.xml")
        session.add_all([person, someone, source])
        session.flush()
        for email in followers:
            session.add(Recipient(email=email, people=["Vladimir Vorontsov"]))
        for email in others:
            session.add(Recipient(email=email, people=["Someone Else"]))
        cluster = Cluster(key="story-1")
        session.add(cluster)
        session.flush()
        for i in range(3):
            mention = Mention(
                source_id=source.id,
                guid=f"g{i}",
                title="Court <b>ruling</b> on Vorontsov",
                url=f"https://example.org/{i}",
                published_at=HOUR + timedelta(minutes=i),
                fetched_at=NOW,
                cluster_id=cluster.id,
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id))
        return add_spike(session, person.id)


def add_spike(
    session, person_id: int, *, explanation: str = "42 mentions in the last hour, usually 3 (p < 10⁻⁸)"
) -> int:
    """A 42-mention spike of ``person_id`` in ``HOUR`` (about 3 expected); its id."""
    spike = Spike(
        person_id=person_id,
        hour=HOUR,
        count=42,
        expected=3.0,
        score=9.1,
        p_value=1e-9,
        peak_at=HOUR,
        peak_count=42,
        end_at=HOUR,
        total=42,
        explanation=explanation,
    )
    session.add(spike)
    session.flush()
    return spike.id


def statuses() -> dict[str, tuple[str, int]]:
    with db.session_scope() as session:
        return {a.channel.split(":")[0]: (a.status, a.attempts) for a in session.exec(select(SpikeAlert)).all()}
