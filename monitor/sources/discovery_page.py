"""Reading addresses and pages for feeds, without fetching: pure functions over bytes and URLs.

- ``feed_links(html, base)``: the page's ``<link rel="alternate">`` feeds (RSS, Atom, RDF,
  JSON Feed), resolved against ``<base href>`` or the page's URL, http(s) only, de-duplicated.
- ``platform_feeds(url)``: feeds an address's shape names outright: Telegram ``t.me/NAME`` →
  ``https://t.me/s/NAME``, a LiveJournal user → ``https://USER.livejournal.com/data/rss``, a
  YouTube ``/channel/UC…`` address → its videos feed.
- ``profile_feed(url)``: a Mastodon-style profile ``https://host/@user`` → ``…/@user.rss``
  (a guess for any host: ``find`` keeps it only when it answers with a feed).
- ``youtube_channel_feeds(html)``: a YouTube channel page (a ``/@handle`` address) names its
  channel id in its canonical link or ``channelId`` meta; that gives the videos feed.
- ``feed_kind(body)``: "rss", "atom", "rdf" or "jsonfeed" when ``body`` is a feed, else None.

Parsed with lxml's HTML parser (already used for Telegram pages; html5lib and BeautifulSoup
were considered, but lxml is faster, installed and recovers from broken markup as well).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from monitor.sources.sniff import feed_format

MAX_LINKS = 20  # feeds one page may offer; a page listing more is cut, not trusted further
FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "jsonfeed",
    "application/json": "jsonfeed",  # JSON Feed 1.0 pages announced it so
}
TELEGRAM_HOSTS = ("t.me", "telegram.me")
TELEGRAM_NAME = re.compile(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/?$")
LJ_USER_HOST = re.compile(r"^([a-z0-9_-]{1,40})\.livejournal\.com$")
LJ_USERS_PATH = re.compile(r"^/users/([A-Za-z0-9_-]{1,40})/?")
YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com")
YOUTUBE_CHANNEL = re.compile(r"^/channel/(UC[A-Za-z0-9_-]{22})/?")
CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
PROFILE = re.compile(r"^/@([A-Za-z0-9_]{1,64})/?$")
LINKS = etree.XPath("//link[@href and @rel]")
BASE = etree.XPath("//base[@href]/@href")
CANONICAL = etree.XPath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")
CHANNEL_META = etree.XPath("//meta[@itemprop='channelId' or @itemprop='identifier']/@content")
YOUTUBE_FEED = "https://www.youtube.com/feeds/videos.xml?channel_id={}"


@dataclass(frozen=True)
class Found:
    """One feed found: its address, a title to show, its kind, and how it was found."""

    url: str
    title: str
    kind: str  # rss, atom, rdf, jsonfeed, telegram, youtube, livejournal, mastodon
    how: str  # "link" (the page announces it), "platform" (the address's shape), "path" (a well-known path)


def feed_kind(body: bytes) -> str | None:
    """The feed format of ``body`` (rss, atom, rdf, jsonfeed), or None for a page or anything else."""
    head = body[:4096].lstrip().lower()
    if head.startswith(b"{"):
        return "jsonfeed" if b"jsonfeed.org/version" in head.replace(b"\\/", b"/") else None
    if head.startswith((b"<!doctype html", b"<html")):
        return None
    found = feed_format(body, kind="auto", url_kind="auto")
    return None if found == "feed" else found


def feed_links(html: bytes, base: str) -> list[Found]:
    """The feeds ``html`` announces with ``<link rel="alternate" type="…">``, at most ``MAX_LINKS``."""
    document = _document(html)
    if document is None:
        return []
    base = _base_of(document, base)
    found: dict[str, Found] = {}
    for link in LINKS(document):
        rels = (link.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        if "alternate" not in rels or kind is None:
            continue
        url = _absolute(base, link.get("href") or "")
        if url and url not in found:
            title = " ".join((link.get("title") or "").split())[:200]
            found[url] = Found(url, title or kind.upper(), kind, "link")
        if len(found) >= MAX_LINKS:
            break
    return list(found.values())


def platform_feeds(url: str) -> list[Found]:
    """The feed an address of a known platform names by its shape alone (Telegram, LiveJournal, YouTube)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return []
    if host in TELEGRAM_HOSTS and (name := TELEGRAM_NAME.match(parts.path)):
        return [Found(f"https://t.me/s/{name.group(1)}", f"Telegram channel {name.group(1)}", "telegram", "platform")]
    user = _livejournal_user(host, parts.path)
    if user:
        return [Found(f"https://{user}.livejournal.com/data/rss", f"LiveJournal {user}", "livejournal", "platform")]
    if host in YOUTUBE_HOSTS and (channel := YOUTUBE_CHANNEL.match(parts.path)):
        return [_youtube(channel.group(1))]
    return []


def profile_feed(url: str) -> Found | None:
    """``https://host/@user`` → ``https://host/@user.rss`` (Mastodon's profile feed), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    match = PROFILE.match(parts.path)
    if parts.scheme not in ("http", "https") or not parts.netloc or not match:
        return None
    return Found(f"{parts.scheme}://{parts.netloc}/@{match.group(1)}.rss", f"@{match.group(1)}", "mastodon", "platform")


def youtube_channel_feeds(html: bytes) -> list[Found]:
    """The videos feed of the YouTube channel a channel page names (canonical link or channelId meta)."""
    document = _document(html)
    if document is None:
        return []
    for value in CHANNEL_META(document):
        if CHANNEL_ID.match(value.strip()):
            return [_youtube(value.strip())]
    for value in CANONICAL(document):
        try:
            parts = urlsplit(value.strip())
        except ValueError:
            continue
        channel = YOUTUBE_CHANNEL.match(parts.path)
        if (parts.hostname or "").lower() in YOUTUBE_HOSTS and channel:
            return [_youtube(channel.group(1))]
    return []


def _youtube(channel_id: str) -> Found:
    return Found(YOUTUBE_FEED.format(channel_id), f"YouTube channel {channel_id}", "youtube", "platform")


def _livejournal_user(host: str, path: str) -> str | None:
    if host in ("livejournal.com", "www.livejournal.com"):
        match = LJ_USERS_PATH.match(path)
        return match.group(1).lower().replace("_", "-") if match else None
    match = LJ_USER_HOST.match(host)
    return match.group(1) if match and match.group(1) not in ("www", "m") else None


def _document(html: bytes):
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _base_of(document, page_url: str) -> str:
    for href in BASE(document):
        resolved = _absolute(page_url, href)
        if resolved:
            return resolved
    return page_url


def _absolute(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None unless it is an http(s) URL with a host."""
    href = href.strip()
    if not href or any(ch in href for ch in "\r\n\t\x00"):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None
