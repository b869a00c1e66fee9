"""The review page: one card per story cluster, filters, keyset pages, triage actions.

``GET /review`` shows cards; ``POST /review/act`` applies one action to the selected cards
(``ids`` repeated) and answers JSON to ``X-Requested-With: fetch`` (the keyboard script) or
redirects back for plain forms. ``POST /review/{id}`` keeps the old confirm/dismiss form.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from monitor.core.models import User, utcnow
from monitor.core.storage import access
from monitor.matching import Matcher
from monitor.review import cards, queue, triage
from monitor.review.cues import suggest_label
from monitor.web import live
from monitor.web.csrf import csrf_token
from monitor.web.deps import SessionDep, UserDep, optional_user, render, templates
from monitor.web.evidence import with_evidence
from monitor.web.limits import DB_ID_MAX, MAX_SEARCH_CHARS, CursorQuery, DbInt, plausible_year
from monitor.web.menus import menus
from monitor.web.menus import scoped as scoped_menus
from monitor.web.snippet import highlight, highlight_all, name_spans, safe_href
from monitor.web.spikes import spike_cards
from monitor.web.timezones import reader_zone

PAGE_SIZE = 50
SPIKE_BANNER_LIMIT = 10

router = APIRouter(include_in_schema=False)


def _int(name: str, value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise HTTPException(status_code=400, detail=f"{name}: expected a number")
    if int(value) > DB_ID_MAX:  # the database cannot hold it: 422, not a 500 from the driver
        raise HTTPException(status_code=422, detail=f"{name}: at most {DB_ID_MAX}")
    return int(value)


def _day(name: str, value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        raise HTTPException(status_code=400, detail=f"{name}: expected a date YYYY-MM-DD") from None
    try:
        return plausible_year(day)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"{name}: {exc}") from None


def filters_from(
    session: SessionDep,
    reader: Annotated[User | None, Depends(optional_user)],
    state: str = "unreviewed",
    person: str | None = None,
    kind: str | None = None,
    label: str | None = None,
    q: str | None = None,
    since: str | None = None,
    until: str | None = None,
    assigned: str | None = None,
    spike: str | None = None,
    language: str | None = None,
    deleted: str | None = None,
) -> cards.Filters:
    """The queue filters from the query string (empty fields ignored); ``state=all`` shows every state.

    They carry the signed-in reader's ``access.Scope`` (issue 20): a person of another group
    is "not found" (404), and their cards never match. Routes without a session (feeds) set it."""
    if state not in (*triage.STATES, "all"):
        raise HTTPException(status_code=400, detail="state: expected unreviewed, reviewed, escalated or all")
    if label and label not in triage.LABELS:
        raise HTTPException(status_code=400, detail=f"label: expected one of {', '.join(triage.LABELS)}")
    if q and len(q.strip()) > MAX_SEARCH_CHARS:  # a long LIKE pattern over every row takes seconds
        raise HTTPException(status_code=422, detail=f"q: at most {MAX_SEARCH_CHARS} characters")
    scope = access.scope_for(session, reader)
    person_id = _int("person", person)
    if person_id is not None and scope.restricted and not access.can_see_person(session, scope, person_id):
        raise HTTPException(status_code=404, detail=f"person: no person {person_id}")
    return cards.Filters(
        scope=scope,
        state=None if state == "all" else state,
        person=person_id,
        kind=kind or None,
        label=label or None,
        q=(q or "").strip() or None,
        since=_day("since", since),
        until=_day("until", until),
        assigned=_int("assigned", assigned),
        spike=spike in ("1", "on", "true"),
        language=_language(language),
        deleted=deleted in ("1", "on", "true"),
    )


def _language(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if value and not (value.isascii() and value.isalpha() and len(value) <= 8):
        raise HTTPException(status_code=400, detail="language: expected a language code such as ru or en")
    return value or None


FiltersDep = Annotated[cards.Filters, Depends(filters_from)]


@router.get("/")
def home(user: UserDep) -> Response:
    return RedirectResponse("/review", status_code=303)


@router.get("/review")
def review_queue(
    request: Request,
    session: SessionDep,
    user: UserDep,
    filters: FiltersDep,
    after: Annotated[CursorQuery, Query()] = None,
) -> Response:
    """Cards matching ``filters``, ``PAGE_SIZE`` a page after the cursor ``after``, under recent spikes."""
    page = cards.list_cards(session, filters=filters, limit=PAGE_SIZE, after=after)
    menu = scoped_menus(session, filters.scope)
    spikes = spike_cards(session, now=utcnow(), limit=SPIKE_BANNER_LIMIT, scope=filters.scope)
    return render(
        request,
        "review.html",
        user=user,
        items=with_evidence(session, [card_item(card, menu.matcher) for card in page.cards]),
        spike_cards=spikes,
        page=page,
        filters=filters,
        labels=triage.LABELS,
        states=triage.STATES,
        menu=menu,
        next_url=f"/review?{urlencode(filters.query(after=page.next_cursor))}" if page.next_cursor else None,
        export_query=urlencode(filters.query()),
        back=f"/review?{urlencode(filters.query())}",
        newest=live.newest_id(session),
        poll_ms=live.POLL_SECONDS * 1000,
    )


@router.get("/review/fresh")
def review_fresh(
    request: Request,
    session: SessionDep,
    user: UserDep,
    filters: FiltersDep,
    newest: Annotated[int, Query(ge=0, le=DB_ID_MAX)] = 0,
) -> Response:
    """JSON for the open queue: cards stored after mention ``newest`` (rendered HTML), the
    newest id now, and the heading's count (``monitor.web.live``)."""
    new, counted = live.fresh(session, filters=filters, newest=newest, page_size=PAGE_SIZE)
    menu = scoped_menus(session, filters.scope)
    html = templates.get_template("_cards.html").render(
        items=with_evidence(session, [card_item(card, menu.matcher) for card in new.cards]),
        labels=triage.LABELS,
        menu=menu,
        csrf_token=csrf_token(request),
        back=f"/review?{urlencode(filters.query())}",
        tz=reader_zone(user),
    )
    return JSONResponse(
        {
            "newest": live.newest_id(session),
            "new": len(new.cards),
            "html": html,
            "total": counted.total,
            "capped": counted.capped,
        },
        headers={"cache-control": "no-store"},
    )


def card_item(card: cards.Card, matcher: Matcher) -> dict:
    """What the template shows for one card: escaped snippet with marks, safe link, hint."""
    row = card.row
    title, text = row.mention.title or "", row.mention.text or ""
    aliases = tuple(row.aliases)
    return {
        "mention": row.mention,
        "source": row.source,
        "kind": card.kind,
        "people": row.people,
        "language": row.mention.language,
        "copies": card.copies,
        "copy_sources": card.copy_sources,
        "href": safe_href(row.mention.url),
        "title": _snippet(matcher, title, aliases, whole=True),
        "snippet": _snippet(matcher, without_title(text, title), aliases),
        "hint": _hint(f"{title}\n{text}"),
    }


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def without_title(text: str, title: str) -> str:
    """``text`` less a leading repeat of ``title`` (many feeds send the title as the summary):
    "" when the text is only the title, so the card does not show it twice."""
    if not title.strip() or not _squash(text).startswith(_squash(title)):
        return text
    words, position = len(title.split()), 0
    for _ in range(words):  # skip as many words as the title has, whatever the spacing
        while position < len(text) and text[position].isspace():
            position += 1
        while position < len(text) and not text[position].isspace():
            position += 1
    return text[position:].lstrip().lstrip(".:—–-").lstrip()


# A mention's text never changes, and reviewers see the same cards page after page: the
# marked-up snippet and the hint are computed once per text (and matcher, i.e. set of people).
SNIPPET_CACHE = 4096


@functools.lru_cache(maxsize=SNIPPET_CACHE)
def _snippet(matcher: Matcher, text: str, aliases: tuple[str, ...], whole: bool = False) -> Markup:
    spans = name_spans(text, matcher=matcher, aliases=aliases)
    return highlight_all(text, spans) if whole else highlight(text, spans)


@functools.lru_cache(maxsize=SNIPPET_CACHE)
def _hint(text: str) -> tuple[str, str] | None:
    return suggest_label(text)


def _wants_json(request: Request) -> bool:
    return request.headers.get("x-requested-with") == "fetch"


@router.post("/review/act")
def review_act(
    request: Request,
    session: SessionDep,
    user: UserDep,
    action: Annotated[str, Form()],
    ids: Annotated[list[DbInt], Form()],
    value: Annotated[str | None, Form()] = None,
    back: Annotated[str, Form()] = "/review",
) -> Response:
    """Apply ``action`` (label, escalate, assign, unassign, note) to the cards ``ids``.

    ``action`` may carry its value as ``label:news`` (the bulk form's buttons).
    """
    if action.startswith("label:"):
        action, value = action.split(":", 1)
    error = triage.validate(action, value)
    if error:
        raise HTTPException(status_code=400, detail=error)
    try:
        changed = triage.act(session, mention_ids=ids, action=action, value=value, user=user)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if not changed:
        raise HTTPException(status_code=404, detail="no such mention")
    session.commit()
    if _wants_json(request):
        menu = menus(session)
        return JSONResponse(
            {
                "changed": [
                    {
                        "id": m.id,
                        "status": m.status,
                        "review_state": m.review_state,
                        "label": m.label,
                        "assigned_to": m.assigned_to,
                        "assignee": menu.reviewer_email(m.assigned_to),
                        "note": m.note,
                    }
                    for m in changed
                ]
            }
        )
    # Back to the same filtered queue; only our own /review URLs, never another site.
    return RedirectResponse(back if back.startswith("/review") else "/review", status_code=303)


@router.post("/review/{mention_id}")
def review_decide(mention_id: int, session: SessionDep, user: UserDep, decision: Annotated[str, Form()]) -> Response:
    """Confirm or dismiss one card (its whole cluster), then back to the queue."""
    if decision not in queue.DECISIONS:
        raise HTTPException(status_code=400, detail="decision: expected confirmed or dismissed")
    if not triage.act(session, mention_ids=[mention_id], action=decision, value=None, user=user):
        raise HTTPException(status_code=404, detail=f"mention {mention_id} not found")
    session.commit()
    return RedirectResponse("/review", status_code=303)
