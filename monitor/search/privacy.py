"""Does a hand-added search URL name a ``private`` person? (Google News stays a source the user
adds by hand; the source form warns before it sends such a name to Google.)"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, select

from monitor.core.models import Alias, Person
from monitor.core.storage.matcher_cache import matcher_for

SEARCH_HOSTS = ("news.google.com",)


def private_people_named(session: Session, url: str) -> list[str]:
    """Names of the private people a Google News search URL's query names (matched, or an alias verbatim)."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in SEARCH_HOSTS:
        return []
    query = " ".join(v for values in parse_qs(parts.query).values() for v in values)
    if not query.strip():
        return []
    private = {p.id: p.name for p in session.exec(select(Person).where(Person.private == True))}  # noqa: E712
    if not private:
        return []
    named = {m.person for m in matcher_for(session).find(query)} & set(private.values())
    folded = query.casefold()
    for alias in session.exec(select(Alias).where(Alias.person_id.in_(list(private)), Alias.kind == "alias")):
        if alias.text.casefold() in folded:
            named.add(private[alias.person_id])
    return sorted(named)
