"""Bundled demo: feeds about fictional people, served on loopback, so that a newcomer
without internet sees mentions arrive, a spike flagged and a digest built.

Every post is written here, about people who do not exist. Times are relative to the
moment the demo first started: a quiet background over three days, then a burst in that
hour about one person (a sentencing), so the spike detector has something to flag.

A restart serves the same feeds at the same URLs (``start_demo`` keeps the port and that
first moment in ``data/demo/state.json``), so the demo's sources stay the same rows: nothing
is stored twice, reviewed posts stay reviewed and no second alert goes out. The sources are
marked ``Source.demo``, which lets the poller reach them on loopback (also from
``monitor poll --once``) without ``MONITOR_ALLOW_PRIVATE_NETWORKS``.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import sqlalchemy as sa

PEOPLE = [
    ("Vladimir Vorontsov", ["Владимир Воронцов", "Воронцов", "Vorontsov"], ["Vorontsov Palace"]),
    ("Anna Sokolova", ["Анна Соколова", "Соколова", "Sokolova"], []),
    ("Ilya Marchenko", ["Илья Марченко", "Марченко", "Marchenko"], []),
]
BACKGROUND_EN = [
    "Court extends custody of {en} for another three months",
    "Lawyer of {en} says letters are withheld in pre-trial detention",
    "Supporters gather outside the courthouse where {en} is tried",
]
BACKGROUND_RU = [
    "Суд продлил арест: {ru} останется в СИЗО ещё на три месяца",
    "Адвокат: {ru} не получает писем в СИЗО",
    "У здания суда, где судят {ru}, собрались сторонники",
]
# A burst is what supporters post on a sentencing: two appeals, each copied word for word by
# many accounts (so its spike reads "24 mentions … — 2 stories, 22 copies, 22 authors").
BURST_RU = "{ru} приговорён к семи годам колонии. Слово поддержки"
BURST_EN = "Solidarity with {en}, sentenced to seven years today"
BURST_AUTHORS = 22  # some supporters post both appeals


def _rss(title: str, items: list[dict]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
        f"<guid>{escape(i['guid'])}</guid><pubDate>{format_datetime(i['when'])}</pubDate>"
        f"<description>{escape(i['text'])}</description></item>"
        for i in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>http://demo.invalid/</link><description>demo</description>{entries}</channel></rss>"
    ).encode()


def _atom(title: str, items: list[dict], updated: datetime) -> bytes:
    entries = "".join(
        f'<entry><title>{escape(i["title"])}</title><link href="{escape(i["link"])}"/>'
        f"<id>{escape(i['guid'])}</id><updated>{i['when'].isoformat()}</updated>"
        + (f"<author><name>{escape(i['author'])}</name></author>" if i.get("author") else "")
        + f"<summary>{escape(i['text'])}</summary></entry>"
        for i in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:demo:{escape(title)}</id>"
        f"<updated>{updated.isoformat()}</updated>{entries}</feed>"
    ).encode()


# A second burst, about another person, is published only after the demo started: posts
# found by a source's first poll are backfill and open no alert (monitor.notify.alerts), so this
# is the one a newcomer sees flagged live and alerted (into data/outbox/ without SMTP).
LIVE_BURST_AFTER = timedelta(seconds=120)
LIVE_BURST_GAP = timedelta(seconds=1)


def build_feeds(base: str, now: datetime, until: datetime | None = None) -> dict[str, tuple[str, bytes]]:
    """Path → (content type, body) for every demo feed, with times relative to ``now``; only
    posts published by ``until`` are in them (None: every post, the live burst included)."""
    news, ru_news, social = [], [], []
    for p, (en, aliases, _) in enumerate(PEOPLE):
        for k in range(12):
            when = now - timedelta(hours=6 * k + 2 * p + 1)
            news.append(_post(base, "news", f"{p}-{k}", BACKGROUND_EN[k % 3].format(en=en), when))
            ru_news.append(_post(base, "ru", f"{p}-{k}", BACKGROUND_RU[k % 3].format(ru=aliases[0]), when))
    en, aliases, _ = PEOPLE[0]
    for n in range(1, 25):
        template, target = (BURST_RU, aliases[0]) if n % 2 else (BURST_EN, en)
        when = now - timedelta(minutes=2 * n)
        social.append(_post(base, "social", f"burst-{n}", template.format(ru=target, en=target), when, _supporter(n)))
    en, aliases, _ = PEOPLE[1]
    for n in range(1, 21):
        template, target = (BURST_RU, aliases[0]) if n % 2 else (BURST_EN, en)
        when = now + LIVE_BURST_AFTER + n * LIVE_BURST_GAP
        social.append(_post(base, "social", f"live-{n}", template.format(ru=target, en=target), when, _supporter(n)))
    social = [post for post in social if until is None or post["when"] <= until]
    reposts = [
        dict(i, guid=i["guid"] + "#repost", link=i["link"] + "?utm_source=telegram&utm_medium=repost") for i in news[:6]
    ]
    return {
        "/news.rss": ("application/rss+xml; charset=utf-8", _rss("Demo News (English)", news)),
        "/ru.rss": ("application/rss+xml; charset=utf-8", _rss("Демо-новости", ru_news)),
        "/social.atom": ("application/atom+xml; charset=utf-8", _atom("Demo solidarity posts", social + reposts, now)),
    }


def _supporter(n: int) -> str:
    """The (fictional) account of a burst's ``n``-th post: ``BURST_AUTHORS`` of them, taking turns."""
    return f"supporter{(n - 1) % BURST_AUTHORS + 1}@demo.invalid"


def _post(base: str, feed: str, key: str, title: str, when: datetime, author: str | None = None) -> dict:
    link = f"{base}/posts/{feed}/{key}"
    return {"guid": link, "link": link, "title": title, "text": title, "when": when, "author": author}


def demo_config(base: str) -> str:
    """A TOML config tracking the demo people and polling the demo feeds."""
    lines = []
    for name, aliases, exclude in PEOPLE:
        lines += [
            "[[person]]",
            f"name = {_toml(name)}",
            f"aliases = {_toml(aliases)}",
            f"exclude = {_toml(exclude)}",
            "",
        ]
    for path, label in [("/news.rss", "Demo News"), ("/ru.rss", "Демо-новости"), ("/social.atom", "Demo social")]:
        lines += ["[[source]]", f'url = "{base}{path}"', f'name = "{label}"', ""]
    lines += [
        "[[recipient]]",
        'email = "desk@example.org"',
        "",
        "[digest]",
        'timezone = "UTC"',
        'send_at = "00:00"',
        "",
    ]
    return "\n".join(lines)


def _toml(value) -> str:
    # JSON strings and arrays of strings are valid TOML.
    return json.dumps(value, ensure_ascii=False)


class DemoServer:
    """Serves the demo feeds on 127.0.0.1 in a background thread, with times relative to ``epoch``."""

    def __init__(self, port: int = 0, epoch: datetime | None = None):
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self.epoch = epoch or datetime.now(timezone.utc)
        self.feeds = build_feeds(self.base_url, self.epoch)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> DemoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        demo = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                # Built per request: the live burst's posts appear as their time comes.
                feeds = build_feeds(demo.base_url, demo.epoch, until=datetime.now(timezone.utc))
                content_type, body = feeds.get(self.path, ("text/plain", b""))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


STATE_FILE = "state.json"


def start_demo(folder: Path) -> DemoServer:
    """The demo server, started on the port and with the epoch of the last run in ``folder``
    (first run: a free port and now), both saved back for the next run."""
    state = _read_state(folder / STATE_FILE)
    epoch = datetime.fromisoformat(state["epoch"]) if "epoch" in state else None
    try:
        server = DemoServer(int(state.get("port", 0)), epoch)
    except OSError:
        server = DemoServer(0, epoch)
        print(
            f"demo: port {state['port']} is taken; the demo feeds move to {server.base_url} "
            "(their sources start afresh)",
            file=sys.stderr,
            flush=True,
        )
    _write_state(
        folder / STATE_FILE, {"port": int(server.base_url.rsplit(":", 1)[1]), "epoch": server.epoch.isoformat()}
    )
    return server.start()


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}  # first run, or a damaged file: start afresh


def _write_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state) + "\n", encoding="utf-8")


def mark_demo_sources(session, urls: list[str]) -> int:
    """Mark the sources with these URLs as the demo's (``Source.demo``); how many were marked."""
    from monitor.core.models import Source

    result = session.execute(sa.update(Source).where(Source.url.in_(urls)).values(demo=True))
    return result.rowcount
