"""Telegram channel history: paging back through ``t.me/s/NAME?before=ID``.

The preview page lists a channel's newest ~20 posts. On a channel's first poll (no stored
cursor) ``extend`` pages back until ``depth`` posts were read (the source's ``history`` key,
default 100; older pages are cut to fit) or the channel's first post (id 1, or a page with
nothing older). Later polls
page back only across a gap: when the newest page no longer reaches the newest post seen
before (the cursor), older pages are read until it does, still at most ``depth`` posts.
Every page goes through the caller's ``fetch_page`` (the guarded client and the politeness
gate), one after another.

The cursor stored on the source is the newest post id read (a decimal string).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from monitor.sources.base import Parsed, one_line
from monitor.sources.telegram import MESSAGES

log = logging.getLogger(__name__)

POST_ID = re.compile(r"^[A-Za-z0-9_]+/(\d{1,18})$")


def post_ids(body: bytes) -> list[int]:
    """The message ids on a preview page (every ``data-post``, service messages included)."""
    try:
        document = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    found = (POST_ID.match(node.get("data-post") or "") for node in MESSAGES(document))
    return [int(match.group(1)) for match in found if match]


def page_url(url: str, before: int) -> str:
    """``url`` (a ``t.me/s/NAME`` page) asking for the posts older than ``before``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({"before": before}), fragment=""))


def stored_cursor(cursor: str | None) -> int | None:
    """The newest post id of an earlier poll, or None (first poll, or a cursor not ours)."""
    return int(cursor) if cursor and cursor.isdigit() and len(cursor) <= 18 else None


async def extend(
    parsed: Parsed,
    first_body: bytes,
    url: str,
    *,
    parse: Callable[[bytes, str], Parsed],
    fetch_page: Callable[[str], Awaitable[bytes]],
    cursor: str | None,
    depth: int,
    source_id: int | None = None,
) -> Parsed:
    """``parsed`` (the newest page) with the older pages this poll should read, and the new cursor.

    ``parse(body, url)`` reads one page; ``fetch_page(url)`` returns a page's body or raises.
    A page that fails ends the paging: what was read is kept (and logged by source id).
    """
    ids = post_ids(first_body)
    known = stored_cursor(cursor)
    items, skipped = list(parsed.items), parsed.skipped
    read = len(ids)
    oldest = min(ids) if ids else None
    while oldest is not None and oldest > 1 and read < depth and (known is None or oldest > known + 1):
        try:
            body = await fetch_page(page_url(url, oldest))
            page = parse(body, url)
        except Exception as exc:  # noqa: BLE001 - one page's failure costs only the older pages
            log.warning(
                "Telegram history stopped early: %s",
                type(exc).__name__,
                extra={"source_id": source_id, "reason": one_line(exc, 120)},
            )
            break
        older = sorted((i for i in post_ids(body) if i < oldest), reverse=True)[: depth - read]
        if not older:  # nothing before this post: the channel's first post was read
            break
        kept = set(older)  # the newest of the page, as many as the depth has room for
        items.extend(item for item in page.items if _id_of(item.guid) in kept)
        skipped += page.skipped
        read += len(older)
        oldest = min(older)
    newest = max(ids + ([known] if known else []), default=None)
    return Parsed(items, cursor=str(newest) if newest else None, min_interval=parsed.min_interval, skipped=skipped)


def _id_of(guid: str) -> int | None:
    match = POST_ID.match(guid)
    return int(match.group(1)) if match else None
