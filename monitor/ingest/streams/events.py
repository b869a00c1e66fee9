"""Stream frames → ``StreamEvent``. Pure: no network, no database.

Every frame is untrusted. A frame that is not what the stream documents (not JSON, not an
object, a field of the wrong type, a time outside any plausible range) raises ``BadEvent``
with one line; the consumer counts it and goes on. A well-formed event that carries no
post (a delete, a like, an account event) is a ``StreamEvent`` without an item: it still
moves the cursor. A post whose own date is implausible (year 9999, 1970) keeps the
stream's time instead, so a bad field never drops a mention.

Errors::

    BadEvent(ValueError)   the frame was skipped; the message says why, never its text
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from monitor.sources.base import Item, iso_datetime
from monitor.sources.mastodon import status_item

POST_COLLECTION = "app.bsky.feed.post"
REPOST_COLLECTION = "app.bsky.feed.repost"
MAX_TEXT = 20_000  # characters kept of one post: Bluesky allows 300 graphemes, Mastodon 500 by default
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
FUTURE_LEEWAY = timedelta(minutes=10)  # clocks differ; a post from later than this is not believed
_DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]{1,256}$")
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_POST_URI = re.compile(r"^at://did:[a-z]+:[A-Za-z0-9._:%-]{1,256}/app\.bsky\.feed\.post/[A-Za-z0-9._:~-]{1,512}$")
MASTODON_POSTS = ("update", "status.update")


class BadEvent(ValueError):
    """A frame that does not follow the stream's format; skipped and counted."""


@dataclass
class StreamEvent:
    """One event: the post it carries (if any), the Jetstream cursor, and when the network saw it.

    A Bluesky repost carries no text: ``repost_of`` is the reposted post's at:// uri and
    ``reposter`` who reposted it; a stored post reposted is a sighting of it.
    """

    item: Item | None
    at: datetime
    time_us: int | None = None
    repost_of: str | None = None
    reposter: str | None = None


def jetstream_event(frame: str | bytes, *, now: datetime) -> StreamEvent:
    """A Jetstream frame (``did``, ``time_us``, ``kind``, ``commit``) as an event; ``BadEvent`` otherwise."""
    data = _object(frame)
    time_us = data.get("time_us")
    if type(time_us) is not int:
        raise BadEvent("time_us: not an integer")
    at = _from_us(time_us, now)
    if data.get("kind") != "commit":
        return StreamEvent(None, at, time_us)
    commit = _field(data, "commit", dict)
    if commit.get("collection") == REPOST_COLLECTION and commit.get("operation") == "create":
        return _repost(data, commit, at, time_us)
    if commit.get("collection") != POST_COLLECTION or commit.get("operation") not in ("create", "update"):
        return StreamEvent(None, at, time_us)
    return StreamEvent(_post(data, commit, at), at, time_us)


def _repost(data: dict, commit: dict, at: datetime, time_us: int) -> StreamEvent:
    did, subject = _field(data, "did", str), _field(_field(commit, "record", dict), "subject", dict)
    uri = _field(subject, "uri", str)
    if not _DID.match(did) or not _POST_URI.match(uri):
        raise BadEvent("repost: not a post's at:// uri")
    return StreamEvent(None, at, time_us, repost_of=uri, reposter=did)


def _post(data: dict, commit: dict, at: datetime) -> Item:
    did, rkey, record = _field(data, "did", str), _field(commit, "rkey", str), _field(commit, "record", dict)
    if not _DID.match(did) or not _RKEY.match(rkey):
        raise BadEvent("did or rkey: not an AT Protocol identifier")
    text = _field(record, "text", str)
    langs = record.get("langs") if isinstance(record.get("langs"), list) else []
    uri = f"at://{did}/{POST_COLLECTION}/{rkey}"
    return Item(
        guid=uri,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        title="",
        text=_clip(" ".join((text + _link_card(record)).split())),
        author=did,
        published_at=plausible(iso_datetime(record.get("createdAt")), at),
        platform_id=uri,
        kind="bluesky",
        lang=langs[0] if langs and isinstance(langs[0], str) else None,
    )


def _link_card(record: dict) -> str:
    # A post that only shares a link names the person in the card, not in its text.
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    card = embed.get("external") if isinstance(embed.get("external"), dict) else {}
    parts = [card.get(key) for key in ("title", "description")]
    return "".join(f"\n{part}" for part in parts if isinstance(part, str) and part)


def mastodon_frame(frame: str | bytes, *, now: datetime) -> StreamEvent:
    """A Mastodon streaming WebSocket frame (``event`` and a JSON-string ``payload``) as an event."""
    data = _object(frame)
    event = _field(data, "event", str)
    return mastodon_event(event, data.get("payload"), now=now)


def mastodon_event(event: str, payload: object, *, now: datetime) -> StreamEvent:
    """One Mastodon streaming event (WebSocket or SSE): ``update`` carries a Status as JSON."""
    if event not in MASTODON_POSTS:
        return StreamEvent(None, now)
    status = _object(payload) if isinstance(payload, (str, bytes)) else payload
    if not isinstance(status, dict) or not isinstance(status.get("uri"), str):
        raise BadEvent("payload: not a Status")
    at = min(plausible(iso_datetime(status.get("created_at")), now) or now, now)
    try:
        item = status_item(status)
    except (TypeError, AttributeError, ValueError):
        raise BadEvent("payload: a Status field of the wrong type") from None
    if item is None:
        raise BadEvent("payload: a boost without its original")
    return StreamEvent(typed_item(item, at), at)


def typed_item(item: Item, at: datetime) -> Item:
    """The item with every field of the type the store expects; stray types become None."""
    item.url = item.url if isinstance(item.url, str) else item.guid
    item.author = item.author if isinstance(item.author, str) else None
    item.reposted_by = item.reposted_by if isinstance(item.reposted_by, str) else None
    item.lang = item.lang if isinstance(item.lang, str) else None
    item.text, item.title = _clip(item.text), _clip(item.title)
    item.published_at = plausible(item.published_at, at)
    return item


def plausible(when: datetime | None, fallback: datetime | None) -> datetime | None:
    """``when`` if it could be a post's time (since 2000, not from the future), else ``fallback``."""
    if when is None or when < EARLIEST or when > (fallback or when) + FUTURE_LEEWAY:
        return fallback
    return when


def _from_us(time_us: int, now: datetime) -> datetime:
    if time_us < EARLIEST.timestamp() * 1_000_000 or time_us > (now + FUTURE_LEEWAY).timestamp() * 1_000_000:
        raise BadEvent("time_us: outside any plausible time")
    return datetime.fromtimestamp(time_us / 1_000_000, timezone.utc)


def _object(frame: object) -> dict:
    try:
        data = json.loads(frame)
    except (ValueError, TypeError, RecursionError):
        raise BadEvent("not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("not a JSON object")
    return data


def _field(data: dict, key: str, kind: type):
    value = data.get(key)
    if not isinstance(value, kind):
        raise BadEvent(f"{key}: missing or not a {kind.__name__}")
    return value


def _clip(text: str) -> str:
    return text[:MAX_TEXT]
