"""The queue page's filter menus and highlighting matcher, cached for a few seconds per database.

People, source kinds, languages and reviewers change when an admin edits them — rarely — yet
every page shows them: reading them on each request was half of a page's queries. Admin
writes in this process call ``forget()``; another web process sees a change within
``MENU_TTL_SECONDS``. What a page *acts* on (cards, the logged-in user) is never cached.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import Person, User
from monitor.core.storage import access
from monitor.core.storage.matcher_cache import matcher_for
from monitor.matching import Matcher
from monitor.review import cards

MENU_TTL_SECONDS = 10.0


@dataclass(frozen=True)
class Choice:
    """One entry of a menu: ``id`` is what the form sends, ``name`` what it shows."""

    id: int
    name: str
    active: bool = True


@dataclass(frozen=True)
class Menus:
    people: tuple[Choice, ...]
    kinds: tuple[str, ...]
    languages: tuple[str, ...]
    reviewers: tuple[Choice, ...]
    matcher: Matcher

    def reviewer_email(self, user_id: int | None) -> str:
        """The email of reviewer ``user_id`` ("" when unknown or None)."""
        return next((r.name for r in self.reviewers if r.id == user_id), "")


_cache: dict[str, tuple[float, Menus]] = {}
_lock = threading.Lock()


def _load(session: Session) -> Menus:
    people = tuple(Choice(p.id, p.name, p.active) for p in session.exec(select(Person).order_by(Person.name)))
    reviewers = tuple(
        Choice(u.id, u.email) for u in session.exec(select(User).where(User.active == sa.true()).order_by(User.email))
    )
    return Menus(
        people=people,
        kinds=tuple(cards.source_kinds(session)),
        languages=tuple(cards.languages(session)),
        reviewers=reviewers,
        matcher=matcher_for(session),
    )


def menus(session: Session) -> Menus:
    """The menus of this session's database, read again when older than ``MENU_TTL_SECONDS``."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    now = time.monotonic()
    found = _cache.get(key)
    if found and now - found[0] < MENU_TTL_SECONDS:
        return found[1]
    loaded = _load(session)
    with _lock:
        _cache[key] = (now, loaded)
    return loaded


def scoped(session: Session, scope: access.Scope) -> Menus:
    """``menus(session)`` with only the people ``scope`` shows in the person menu (issue 20)."""
    menu = menus(session)
    shown = access.visible_person_ids(session, scope)
    if shown is None:
        return menu
    return dataclasses.replace(menu, people=tuple(c for c in menu.people if c.id in shown))


def forget() -> None:
    """Drop every cached menu (after an admin changed people, sources or users)."""
    with _lock:
        _cache.clear()
