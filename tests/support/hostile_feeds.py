"""Hostile feed entries for the poller, in the format of every source adapter.

``ENTRIES`` is a Hypothesis strategy of entries whose fields are hostile: NULs, bidi controls
and lone surrogates in text, dates out of range or impossible, numbers, lists and objects
where text belongs. ``render(kind, entries)`` writes them as the body one adapter reads
(RSS, Atom, JSON Feed, Mastodon and Bluesky API JSON, a Reddit listing, a YouTube feed, a
Google News feed, a Telegram preview page). ``HostileServer`` serves those bodies on
loopback by path (any query string), so an adapter that adds a cursor still finds its body.

Every entry names a tracked person where text allows, so the hostile fields reach the
matcher and the writer, not only the parser.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from tests.support.feedserver import respond

NAME = "Vladimir Vorontsov"
TRIGGER_DATES = [
    "9999-12-31T23:59:59-01:00",
    "2026-02-30T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "Mon, 31 Dec 9999 23:59:59 -0100",
    "Fri, 30 Feb 2026 00:00:00 GMT",
    "",
    "not a date",
    "1970-01-01T00:00:00Z",
    "-1",
    "99999999999999999999",
]
HOSTILE_CHARS = "\x00\u202e\u2066\ufeff\ud800\udfff<>&\"'\n\t\x7f\u0301"
_text = st.text(alphabet=st.sampled_from(HOSTILE_CHARS) | st.characters(), max_size=40)
_odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
ENTRIES = st.lists(
    st.fixed_dictionaries(
        {
            "title": _text.map(lambda t: f"{t} {NAME} {t}"),
            "text": _text,
            "id": st.one_of(_text, st.integers(min_value=-(2**70), max_value=2**70)),
            "link": st.one_of(_text, st.just("http://127.0.0.1:99999/x"), st.just("https://example.org/a\x00b")),
            "date": st.one_of(st.sampled_from(TRIGGER_DATES), _text),
            "number": st.one_of(
                st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True)
            ),
            "odd": _odd,  # put where the format expects text
        }
    ),
    min_size=1,
    max_size=4,
)
KINDS = ("rss", "atom", "jsonfeed", "mastodon", "bluesky", "reddit", "youtube", "googlenews", "telegram")
PATHS = {
    "rss": "/rss.xml",
    "atom": "/atom.xml",
    "jsonfeed": "/feed.json",
    "mastodon": "/api/v1/timelines/tag/free",
    "bluesky": "/xrpc/app.bsky.feed.getAuthorFeed",
    "reddit": "/r/news/new/.json",
    "youtube": "/feeds/videos.xml",
    "googlenews": "/rss/search",
    "telegram": "/s/freechannel",
}
CONTENT_TYPES = {
    "jsonfeed": "application/feed+json",
    "mastodon": "application/json",
    "bluesky": "application/json",
    "reddit": "application/json",
    "telegram": "text/html; charset=utf-8",
}


def _x(value) -> str:
    """Text for an XML document: escaped, and with characters XML cannot carry left in (a hostile document)."""
    return escape(str(value))


def _rss(entries: list[dict], extra: str = "") -> str:
    items = "".join(
        f"<item><title>{_x(e['title'])}</title><link>{_x(e['link'])}</link><guid>{_x(e['id'])}</guid>"
        f"<pubDate>{_x(e['date'])}</pubDate><description>{_x(e['text'])}</description><author>{_x(e['odd'])}</author>"
        f"{extra.format(**{k: _x(v) for k, v in e.items()})}</item>"
        for e in entries
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><ttl>{_x(entries[0]["number"])}</ttl>{items}</channel></rss>'


def _atom(entries: list[dict], extra: str = "") -> str:
    body = "".join(
        f"<entry><title>{_x(e['title'])}</title><id>{_x(e['id'])}</id><link href={quoteattr(str(e['link']))}/>"
        f"<updated>{_x(e['date'])}</updated><summary>{_x(e['text'])}</summary>{extra.format(**{k: _x(v) for k, v in e.items()})}</entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:yt="http://www.youtube.com/xml/schemas/2015"><title>t</title><id>urn:t</id>'
        f"<updated>2026-01-01T00:00:00Z</updated>{body}</feed>"
    )


def _jsonfeed(entries: list[dict]) -> dict:
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "language": entries[0]["odd"],
        "items": [
            {
                "id": e["id"],
                "url": e["link"],
                "title": e["title"],
                "content_html": e["odd"],
                "content_text": e["text"],
                "date_published": e["date"],
                "authors": [{"name": e["odd"]}],
                "language": e["text"],
            }
            for e in entries
        ],
    }


def _mastodon(entries: list[dict]) -> list:
    return [
        {
            "id": e["number"],
            "uri": e["id"],
            "url": e["link"],
            "content": e["title"],
            "spoiler_text": e["odd"],
            "created_at": e["date"],
            "language": e["odd"],
            "account": {"acct": e["odd"]},
            "reblog": {"uri": e["id"], "content": e["title"], "account": e["odd"]}
            if isinstance(e["number"], int) and e["number"] % 2
            else None,
        }
        for e in entries
    ]


def _bluesky(entries: list[dict]) -> dict:
    return {
        "feed": [
            {
                "post": {
                    "uri": e["id"],
                    "author": {"handle": e["odd"]},
                    "indexedAt": e["date"],
                    "record": {"text": e["title"], "createdAt": e["date"], "langs": [e["odd"]]},
                },
                "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": e["odd"]},
            }
            for e in entries
        ]
    }


def _reddit(entries: list[dict]) -> dict:
    return {
        "data": {
            "children": [
                {
                    "data": {
                        "name": e["id"],
                        "title": e["title"],
                        "selftext": e["text"],
                        "permalink": e["odd"],
                        "url": e["link"],
                        "created_utc": e["number"],
                        "author": e["odd"],
                    }
                }
                for e in entries
            ]
        }
    }


def _telegram(entries: list[dict]) -> str:
    messages = "".join(
        f'<div class="tgme_widget_message" data-post={quoteattr(str(e["id"]))}>'
        f'<a class="tgme_widget_message_owner_name">{_x(e["odd"])}</a>'
        f'<a class="tgme_widget_message_forwarded_from_name" href={quoteattr(str(e["link"]))}>{_x(e["text"])}</a>'
        f'<div class="tgme_widget_message_text">{_x(e["title"])}</div>'
        f'<a class="tgme_widget_message_date"><time datetime={quoteattr(str(e["date"]))}>x</time></a></div>'
        for e in entries
    )
    return f'<html><body><section class="tgme_channel_history">{messages}</section></body></html>'


def render(kind: str, entries: list[dict]) -> bytes:
    """The body the ``kind`` adapter reads, carrying ``entries``; bytes that may not even be valid UTF-8."""
    if kind in ("jsonfeed", "mastodon", "bluesky", "reddit"):
        document = {"jsonfeed": _jsonfeed, "mastodon": _mastodon, "bluesky": _bluesky, "reddit": _reddit}[kind](entries)
        return json.dumps(document, default=str).encode("utf-8")
    text = {
        "rss": lambda: _rss(entries),
        "googlenews": lambda: _rss(entries, "<source url={link!r}>{odd}</source>"),
        "atom": lambda: _atom(entries),
        "youtube": lambda: _atom(entries, "<yt:videoId>{id}</yt:videoId>"),
        "telegram": lambda: _telegram(entries),
    }[kind]()
    return text.encode("utf-8", "surrogatepass")


def good_rss(base: str, key: str) -> bytes:
    """A plain feed with one post naming a tracked person under the guid ``key``."""
    when = format_datetime(datetime.now(timezone.utc))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>good</title>'
        f"<item><title>{NAME} appeal heard</title><link>{base}/news/{key}</link><guid>{key}</guid>"
        f"<pubDate>{when}</pubDate><description>The court heard the appeal.</description></item></channel></rss>"
    ).encode()


def config(base: str, people: str) -> str:
    """A config with one source per adapter kind and one good feed at ``/good.xml``."""
    sources = "".join(f'\n[[source]]\nurl = "{base}{PATHS[k]}"\nname = "{k}"\nkind = "{k}"\n' for k in KINDS)
    return people + sources + f'\n[[source]]\nurl = "{base}/good.xml"\nname = "good"\nkind = "rss"\n'


class HostileServer:
    """Loopback server of ``bodies`` (path → (content type, bytes)), matched on the path alone."""

    def __init__(self):
        self.bodies: dict[str, tuple[str, bytes]] = {}
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                content_type, body = bodies.get(urlsplit(self.path).path, ("text/plain", b""))
                respond(self, 200 if body else 404, body, {"Content-Type": content_type})

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def serve(self, kind: str, entries: list[dict]) -> None:
        self.bodies[PATHS[kind]] = (CONTENT_TYPES.get(kind, "application/xml; charset=utf-8"), render(kind, entries))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
