"""The watch list's people and their matching terms, changed on the web, audited.

People and terms carry an ``origin``. "config" ones come from the TOML file and follow it on
every sync, so they are read-only here (change the file instead); "web" ones were added here
and survive syncs. An admin may add web terms (aliases, excludes, hashtags, handles, context
words) to any person, config people included, and pause any person: the pause is the web's own
flag, which config syncs leave alone. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, select

from monitor import i18n
from monitor.core.config_file import PersonEntry
from monitor.core.models import Alias, Person, User
from monitor.core.storage import groups
from monitor.matching import Matcher
from monitor.review.errors import Conflict, Malformed, NeedsConfirmation, NotFound, Refused, one_line
from monitor.review.overlap import find_overlap
from monitor.review.triage import audit

# Term kinds an admin can add; "gender" stays a config matter.
TERM_KINDS = ("alias", "exclude", "hashtag", "handle", "context")
_ENTRY_FIELD = {"alias": "aliases", "hashtag": "hashtags", "handle": "handles"}


def everyone(session: Session) -> list[Person]:
    """Every person, by name."""
    return list(session.exec(select(Person).order_by(Person.name)))


def get(session: Session, person_id: int) -> Person:
    """The person, or ``NotFound``."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person


def terms(session: Session, person_id: int) -> list[Alias]:
    """The person's terms by kind and text."""
    return list(session.exec(select(Alias).where(Alias.person_id == person_id).order_by(Alias.kind, Alias.text)))


def _tracked(name: str) -> Refused:
    return Refused(i18n.gettext("name: %(name)s is already tracked") % {"name": repr(name)})


def add_person(
    session: Session,
    *,
    name: str,
    aliases: list[str],
    exclude: list[str],
    hashtags: list[str],
    handles: list[str],
    private: bool,
    confirm: bool,
    matcher: Matcher,
    actor: User,
    now: datetime,
) -> Person:
    """Track a new person (origin "web") with their terms.

    ``Refused`` when a field is bad or a name equals a tracked person's name or alias;
    ``NeedsConfirmation`` when one looks like a tracked person (``matcher``'s forms of the
    watch list), until ``confirm``.
    """
    try:
        entry = PersonEntry(name=name, aliases=aliases, exclude=exclude, hashtags=hashtags, handles=handles)
    except ValidationError as exc:
        raise Refused(one_line(exc)) from None
    if session.exec(select(Person).where(Person.name == entry.name)).first():
        raise _tracked(entry.name)
    found = find_overlap(session, entry.all_names(), matcher=matcher)
    if found.refusal() or (found.warning() and not confirm):
        kind = Refused if found.refusal() else NeedsConfirmation
        raise kind(found.refusal(), warning=found.warning())
    person = Person(name=entry.name, active=True, origin="web", tracked_since=now, private=private)
    session.add(person)
    session.flush()
    wanted = {("alias", a) for a in entry.all_names()} | {("exclude", e) for e in entry.exclude}
    wanted |= {("hashtag", h) for h in entry.hashtags} | {("handle", h) for h in entry.handles}
    session.add_all(Alias(person_id=person.id, kind=kind, text=text, origin="web") for kind, text in sorted(wanted))
    after = {"name": person.name, "private": person.private, "terms": sorted(f"{k}:{t}" for k, t in wanted)}
    audit(session, user=actor, action="person-add", target=f"person:{person.id}", before=None, after=after)
    return person


def update_person(
    session: Session, *, person_id: int, name: str, active: bool, group_names: str | None, actor: User
) -> Person:
    """Rename or (de)activate a web person, and set its groups (comma-separated; None: unchanged).

    Config people are a ``Conflict``; a bad or taken name, or a bad group, is ``Refused``.
    """
    found = get(session, person_id)
    if found.origin != "web":
        raise Conflict("this person comes from the config file: edit it there")
    try:
        new_name = PersonEntry(name=name).name
    except ValidationError as exc:
        raise Refused(one_line(exc)) from None
    if session.exec(select(Person).where(Person.name == new_name, Person.id != person_id)).first():
        raise _tracked(new_name)
    try:  # issue 20: comma-separated groups; absent from the form: unchanged
        wanted = None if group_names is None else groups.clean_names(group_names.split(","))
    except ValueError as exc:
        raise Refused(f"groups: {exc}") from None
    before = {"name": found.name, "active": found.active}
    if wanted is not None:
        before["groups"] = groups.person_groups(session, person_id)
    found.name, found.active = new_name, active
    session.add(found)
    after = {"name": found.name, "active": found.active}
    if wanted is not None:
        groups.set_person_groups(session, found, wanted, origin="web")
        after["groups"] = groups.person_groups(session, person_id)
    audit(session, user=actor, action="person-edit", target=f"person:{person_id}", before=before, after=after)
    return found


def add_term(session: Session, *, person_id: int, kind: str, text: str, actor: User) -> bool:
    """Add one web term to any person; False when the person has it already (nothing written).

    An unknown ``kind`` is ``Malformed``; a text the config would refuse is ``Refused``.
    """
    get(session, person_id)
    if kind not in TERM_KINDS:
        raise Malformed(f"kind: expected one of {', '.join(TERM_KINDS)}")
    field = _ENTRY_FIELD.get(kind, kind)
    try:
        [text] = getattr(PersonEntry(name="placeholder", **{field: [text]}), field)
    except ValidationError as exc:
        raise Refused(one_line(exc)) from None
    exists = session.exec(
        select(Alias).where(Alias.person_id == person_id, Alias.kind == kind, Alias.text == text)
    ).first()
    if exists:
        return False
    session.add(Alias(person_id=person_id, kind=kind, text=text, origin="web"))
    audit(
        session,
        user=actor,
        action="term-add",
        target=f"person:{person_id}",
        before=None,
        after={"kind": kind, "text": text},
    )
    return True


def delete_term(session: Session, *, person_id: int, term_id: int, actor: User) -> None:
    """Remove a web term of the person; config terms are a ``Conflict`` (removed from the file)."""
    term = session.get(Alias, term_id)
    if term is None or term.person_id != person_id:
        raise NotFound(f"no term {term_id} of person {person_id}")
    if term.origin != "web":
        raise Conflict("this term comes from the config file: edit it there")
    before = {"kind": term.kind, "text": term.text}
    audit(session, user=actor, action="term-remove", target=f"person:{person_id}", before=before, after=None)
    session.delete(term)


def pause_person(session: Session, *, person_id: int, action: str, actor: User, now: datetime) -> Person:
    """``pause`` (new posts are not matched against the person) or ``resume`` any person."""
    found = get(session, person_id)
    if action not in ("pause", "resume"):
        raise Malformed("action: expected pause or resume")
    before = {"paused": found.paused_at is not None}
    found.paused_at = now if action == "pause" else None
    session.add(found)
    after = {"paused": found.paused_at is not None}
    audit(session, user=actor, action=f"person-{action}", target=f"person:{person_id}", before=before, after=after)
    return found
