"""Sources added and changed on the web, audited.

A source carries an ``origin``: "config" rows follow the TOML file on every sync and are
read-only here; "web" rows were added here and survive syncs. A removed source keeps its
mentions (they are evidence): it is disabled and hidden, and adding its URL again brings it
back. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, select

from monitor import i18n
from monitor.core.config_file import SourceEntry
from monitor.core.models import Source, User
from monitor.review.errors import Conflict, Malformed, NeedsConfirmation, NotFound, Refused, one_line
from monitor.review.triage import audit

SOURCE_ACTIONS = ("enable", "disable", "remove")


def listed(session: Session) -> list[Source]:
    """The sources not removed, by name."""
    return list(session.exec(select(Source).where(Source.removed_at.is_(None)).order_by(Source.name, Source.id)))


def parse_entry(*, url: str, kind: str, name: str) -> SourceEntry:
    """The form's fields as a checked entry; ``Refused`` with the first problem."""
    try:
        return SourceEntry(url=url, kind=kind, name=name.strip() or None)
    except ValidationError as exc:
        raise Refused(one_line(exc)) from None


def add_source(
    session: Session, *, entry: SourceEntry, private_named: list[str], confirm: bool, actor: User, now: datetime
) -> Source:
    """Poll ``entry`` (origin "web") from the next dispatch; a removed source with its URL comes back.

    A search naming the ``private_named`` people is held back (``NeedsConfirmation``) until ``confirm``.
    """
    if private_named and not confirm:
        warning = i18n.gettext("This search sends the name of %(names)s (marked private) to Google. Add it anyway?")
        raise NeedsConfirmation(None, warning=warning % {"names": ", ".join(private_named)})
    row = session.exec(select(Source).where(Source.url == entry.url)).first()
    if row is not None and row.removed_at is None:
        raise Refused(i18n.gettext("url: %(url)s is already a source") % {"url": entry.url})
    before = None if row is None else {"removed": True}
    row = row or Source(url=entry.url, origin="web")
    row.name, row.kind, row.enabled, row.removed_at = entry.name or entry.url, entry.kind, True, None
    row.next_poll_at = now  # poll it at the next dispatch
    session.add(row)
    session.flush()
    after = {"url": row.url, "kind": row.kind, "name": row.name}
    audit(session, user=actor, action="source-add", target=f"source:{row.id}", before=before, after=after)
    return row


def change_source(session: Session, *, source_id: int, action: str, actor: User, now: datetime) -> Source:
    """``enable``, ``disable`` or ``remove`` a web source; config sources are a ``Conflict``."""
    row = session.get(Source, source_id)
    if row is None:
        raise NotFound(f"no source {source_id}")
    if row.origin != "web":
        raise Conflict("this source comes from the config file: edit it there")
    if action not in SOURCE_ACTIONS:
        raise Malformed("action: expected enable, disable or remove")
    before = {"enabled": row.enabled, "removed": row.removed_at is not None}
    row.enabled = action == "enable"
    row.removed_at = now if action == "remove" else None
    session.add(row)
    after = {"enabled": row.enabled, "removed": row.removed_at is not None}
    audit(session, user=actor, action=f"source-{action}", target=f"source:{row.id}", before=before, after=after)
    return row
