"""Loopback stand-ins for the chat services Apprise delivers to (issue 21), and a spike to alert.

``Recorder`` is an HTTP server that keeps every request and answers with ``answer(method, path)``
(a status and a JSON body). ``matrix_answer`` plays the few Matrix client-server endpoints a
bot needs to post in a room.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from monitor.core import db
from monitor.core.models import Mention, MentionPerson, Person, Recipient, Source
from tests.support.alerts import HOUR, NOW, add_spike

NAME = "Vladimir Vorontsov"


def ok_answer(method: str, path: str) -> tuple[int, dict]:
    return 200, {}


def matrix_answer(method: str, path: str) -> tuple[int, dict]:
    if "/login" in path:
        return 200, {
            "access_token": "token",
            "user_id": "@bot:localhost",
            "device_id": "DEVICE",
            "home_server": "localhost",
        }
    if "/join/" in path or "/directory/room/" in path:
        return 200, {"room_id": "!room:localhost"}
    if "/joined_rooms" in path:
        return 200, {"joined_rooms": ["!room:localhost"]}
    if "/send/" in path:
        return 200, {"event_id": "$event"}
    if "/versions" in path:
        return 200, {"versions": ["r0.6.1", "v1.1"]}
    if "/account/whoami" in path:
        return 200, {"user_id": "@bot:localhost", "device_id": "DEVICE"}
    return 404, {"errcode": "M_UNRECOGNIZED", "error": "not here"}


class Recorder:
    """A loopback HTTP server that records (method, path, body) of every request."""

    def __init__(self, answer=ok_answer):
        self.requests: list[tuple[str, str, bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.append((self.command, self.path, body))
                status, payload = answer(self.command, self.path)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, method: str = "") -> list[str]:
        return [body.decode("utf-8", "replace") for m, _, body in self.requests if not method or m == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_spike(*, private: bool = False, notify: list[str] | None = None) -> int:
    """A person with a live spike, a recipient who follows them (with ``notify`` references)."""
    with db.session_scope() as session:
        person = Person(name=NAME, private=private)
        source = Source(url="https://example.org/feed.xml")
        session.add_all([person, source])
        session.flush()
        session.add(Recipient(email="desk@example.org", people=[NAME], notify=notify))
        for i in range(3):
            mention = Mention(
                source_id=source.id,
                guid=f"g{i}",
                title=f"Court ruling on {NAME}",
                url=f"https://example.org/{i}",
                published_at=HOUR + timedelta(minutes=i),
                fetched_at=NOW,
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id))
        return add_spike(session, person.id, explanation="42 mentions")
