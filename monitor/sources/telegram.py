"""Telegram public channels through the web preview ``t.me/s/CHANNEL`` (HTML, parsed with lxml).

Messages are ``.tgme_widget_message[data-post]``; the key is ``data-post`` ("channel/123").
The preview lists the newest ~20 messages; ``?before=ID`` pages back (the poller does it
on a channel's first poll and across gaps: ``monitor.ingest.telegram_history``). Channels can disable the preview: ``t.me/s/CHANNEL`` then
redirects to ``t.me/CHANNEL``, a page without the message list, which is a ``ParseError``
recorded on the source. A forwarded message keeps the forwarding channel in ``reposted_by``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import lxml.html
from lxml import etree

from monitor.sources.base import Adapter, Item, Parsed, ParseError, Request, convert_each, iso_datetime
from monitor.sources.text import html_to_text

HOSTS = ("t.me", "telegram.me")


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


MESSAGES = etree.XPath(f"//div[{_has_class('tgme_widget_message')} and @data-post]")
HISTORY = etree.XPath(f"//*[{_has_class('tgme_channel_history')}]")
TEXT = etree.XPath(
    f".//div[{_has_class('tgme_widget_message_text')} and not(ancestor::*[{_has_class('tgme_widget_message_reply')}])]"
)
OWNER = etree.XPath(f".//*[{_has_class('tgme_widget_message_owner_name')}]")
FORWARDED = etree.XPath(f".//a[{_has_class('tgme_widget_message_forwarded_from_name')}]")
TIME = etree.XPath(f".//*[{_has_class('tgme_widget_message_date')}]//time[@datetime] | .//time[@datetime]")


class TelegramAdapter(Adapter):
    """A public Telegram channel read from its web preview."""

    kind = "telegram"
    conditional = False  # t.me answers every request in full

    @classmethod
    def handles(cls, url: str) -> bool:
        parts = urlsplit(url)
        return parts.hostname in HOSTS and bool(re.match(r"^/(s/)?[A-Za-z0-9_]{4,}/?$", parts.path))

    def request(self, url: str, cursor: str | None = None, settings=None) -> Request:
        """``t.me/CHANNEL`` is read as its preview ``t.me/s/CHANNEL``."""
        parts = urlsplit(url)
        if re.match(r"^/[A-Za-z0-9_]+/?$", parts.path):  # a bare channel page, on t.me or a mirror
            parts = parts._replace(path="/s/" + parts.path.strip("/"))
        return Request(urlunsplit(parts))

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        try:
            document = lxml.html.document_fromstring(body)
        except (etree.ParserError, ValueError) as exc:
            raise ParseError(f"not a Telegram channel page: {exc}") from None
        if not HISTORY(document):
            channel = urlsplit(url).path.strip("/").removeprefix("s/")
            raise ParseError(f"Telegram channel {channel!r}: previews are disabled for this channel (no t.me/s/ page)")
        return Parsed(convert_each(MESSAGES(document), message_item))


def message_item(node) -> Item | None:
    """One channel message; ``None`` for a service message without text."""
    post = node.get("data-post")
    texts = TEXT(node)
    text = html_to_text(lxml.html.tostring(texts[0], encoding="unicode")) if texts else ""
    if not (post and text):
        return None
    owner = _text_of(OWNER(node))
    forwarded = FORWARDED(node)
    times = TIME(node)
    return Item(
        guid=post,
        url=f"https://t.me/{post}",
        title="",
        text=text,
        author=_text_of(forwarded) or owner,
        published_at=iso_datetime(times[0].get("datetime")) if times else None,
        platform_id=_original_post(forwarded) or post,
        kind="telegram",
        reposted_by=owner if forwarded else None,
    )


def _text_of(nodes) -> str | None:
    return " ".join(nodes[0].text_content().split()) or None if nodes else None


def _original_post(forwarded) -> str | None:
    if not forwarded:
        return None
    parts = urlsplit(forwarded[0].get("href") or "")
    found = re.match(r"^/([A-Za-z0-9_]+/\d+)$", parts.path)
    return found.group(1) if parts.hostname in HOSTS and found else None
