"""What every search provider shares: the person's query terms, a request, a page, the errors.

A provider module is pure: ``requests(target, cursor, …)`` builds what to GET from a
person's names (bytes never leave it but through ``monitor.search.run``), ``parse(body,
request)`` turns the response into ``Item``s and the next cursor. Errors::

    SearchError(message, throttled=False, auth=False)
      ├── throttled: HTTP 429, VK codes 6/9/29, YouTube quotaExceeded: the whole provider backs off
      ├── auth: refused credentials (HTTP 401/403, VK code 5): the provider backs off longer;
      │   ``unsent``: none configured, nothing was sent, so no backoff (the next run checks again)
      └── otherwise: this one search failed (a bad body, a 5xx); that target backs off
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from monitor.sources.base import Item

MAX_QUERY_NAMES = 8  # long OR-queries are refused by some providers (GDELT, YouTube)


class SearchError(Exception):
    """A search failed; the message is one line and never quotes the query."""

    def __init__(self, message: str, *, throttled: bool = False, auth: bool = False, unsent: bool = False):
        super().__init__(message)
        self.throttled, self.auth, self.unsent = throttled, auth, unsent


@dataclass(frozen=True)
class Target:
    """What one search is about: a person (``person_id``) by their names and hashtags, or a
    community wall (``community``, VK), whose posts are matched against everyone."""

    subject: str
    person_id: int | None = None
    names: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    community: str | None = None


@dataclass(frozen=True)
class SearchRequest:
    """One GET: ``url`` with its query, extra ``headers``, ``key`` naming its cursor slot
    (Mastodon: one per instance and hashtag), ``auth`` as for ``sources.base.Request``, and
    ``advance``: the slot's value after a success whose page brings no cursor (a window's end)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    key: str = ""
    auth: object | None = None
    advance: str | None = None


@dataclass
class Page:
    """What one response held: items, and the cursor to store for its request's ``key``."""

    items: list[Item]
    cursor: str | None = None
    titles_only: bool = False  # GDELT: the text is to be fetched from each item's URL


def quoted(name: str) -> str:
    """A name as an exact phrase: in double quotes when it has more than one word."""
    clean = " ".join(name.replace('"', " ").split())
    return f'"{clean}"' if " " in clean else clean


def or_query(names: tuple[str, ...], *, joiner: str = " OR ", group: bool = False) -> str:
    """``"A B" OR "В Г"``: every name as a phrase; parenthesised when ``group`` and several."""
    phrases = [quoted(n) for n in names[:MAX_QUERY_NAMES] if n.strip()]
    text = joiner.join(phrases)
    return f"({text})" if group and len(phrases) > 1 else text


def load_json(body: bytes, what: str):
    """The JSON document, or ``SearchError`` naming the provider (never the body)."""
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise SearchError(f"{what}: the response is not JSON") from None


def cursors(cursor: str | None) -> dict[str, str]:
    """A target's stored cursor as per-request slots (a JSON object), ``{}`` when absent or bad."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except (json.JSONDecodeError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, (str, int))} if isinstance(value, dict) else {}


def dump_cursors(slots: dict[str, str]) -> str | None:
    """The inverse of ``cursors``; None when empty."""
    return json.dumps(slots, sort_keys=True, ensure_ascii=False) if slots else None
