"""A user's own settings: the timezone pages show times in, the language, the feed token.

Every change is audited like any other account change. The caller commits.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from monitor import i18n
from monitor.core.models import User
from monitor.review import feed_tokens
from monitor.review.errors import Malformed, Refused
from monitor.review.triage import audit

FEED_TOKEN_ACTIONS = ("new", "revoke")


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone called ``name`` (an IANA name such as Europe/Berlin), or None when unknown."""
    if not name or "/" not in name and name != "UTC" or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def set_timezone(session: Session, *, user: User, name: str) -> None:
    """Show ``user`` times in the zone ``name``; empty: the digest timezone. ``Refused`` when unknown."""
    name = name.strip()
    if name and zone_named(name) is None:
        raise Refused(i18n.gettext("timezone: unknown timezone %(name)s (e.g. Europe/Berlin)") % {"name": repr(name)})
    before = {"timezone": user.timezone}
    user.timezone = name or None
    session.add(user)
    after = {"timezone": user.timezone}
    audit(session, user=user, action="user-timezone", target=f"user:{user.id}", before=before, after=after)


def set_language(session: Session, *, user: User, language: str) -> None:
    """Show ``user`` pages in ``language`` (``monitor.i18n.LANGUAGES``); empty: the browser's."""
    chosen = language.strip()
    if chosen and chosen not in i18n.LANGUAGES:
        raise Refused(i18n.gettext("language: unknown language %(name)s") % {"name": repr(chosen)})
    before = {"language": user.language}
    user.language = chosen or None
    session.add(user)
    after = {"language": user.language}
    audit(session, user=user, action="user-language", target=f"user:{user.id}", before=before, after=after)


def change_feed_token(session: Session, *, user: User, action: str) -> None:
    """``new``: a new private feed token (the old URLs stop working); ``revoke``: none at all."""
    if action not in FEED_TOKEN_ACTIONS:
        raise Malformed("action: expected new or revoke")
    if action == "new":
        feed_tokens.issue(session, user)
    else:
        feed_tokens.revoke(session, user)
    audit(session, user=user, action=f"feed-token-{action}", target=f"user:{user.id}", before=None, after=None)
