"""Evidence pages for reviewers (issue 18): a mention's captures, its preserved copy, the diffs.

``GET /evidence/mentions/{id}`` lists every capture of the mention (hashes, time, method, what
was changed from the bytes exchanged), where its re-checks stand with the diff of each edit,
and one capture's preserved copy (``?capture=ID``; default the latest page capture). The copy
is sanitised (``nh3``: text markup only, no images, media, frames, forms or styles) and served
under a policy that loads nothing from anywhere, so opening it tells no site that we looked.
``with_evidence`` adds each queue card's evidence line.
"""

from __future__ import annotations

import io

import nh3
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, select
from warcio.archiveiterator import ArchiveIterator

from monitor.core import blob_store as store
from monitor.core.models import Mention, MentionPerson
from monitor.core.models_evidence import Capture, Preservation, Recheck
from monitor.core.settings import get_settings
from monitor.core.storage import access
from monitor.core.storage.custody import append_event
from monitor.core.storage.evidence_views import card_evidence, timestamp_counts
from monitor.web.deps import SessionDep, UserDep, render
from monitor.web.limits import DbInt

router = APIRouter(include_in_schema=False)
COPY_TAGS = {
    "a",
    "p",
    "br",
    "div",
    "span",
    "article",
    "section",
    "header",
    "footer",
    "main",
    "blockquote",
    "pre",
    "code",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "s",
    "time",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "figure",
    "figcaption",
    "hr",
    "small",
    "sub",
    "sup",
}
COPY_CHARS = 500_000
# Stricter than the site's policy: no image, not even our own; no form; only our script files.
CAPTURE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'none'; "
    "media-src 'none'; frame-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def with_evidence(session: Session, items: list[dict]) -> list[dict]:
    """``items`` (queue cards) with ``evidence`` set where the mention has a capture or is preserved."""
    found = card_evidence(session, [item["mention"].id for item in items])
    for item in items:
        item["evidence"] = found.get(item["mention"].id)
    return items


@router.get("/evidence/mentions/{mention_id}")
def mention_evidence(
    request: Request, session: SessionDep, user: UserDep, mention_id: DbInt, capture: DbInt | None = None
) -> Response:
    """The captures, re-checks and one preserved copy of a mention."""
    mention = session.get(Mention, mention_id)
    if mention is None or not access.can_see_mention(session, access.scope_for(session, user), mention_id):
        raise HTTPException(status_code=404, detail=f"mention {mention_id} not found")  # issue 20: another group's too
    _viewed(session, user, mention_id)
    captures = list(session.exec(select(Capture).where(Capture.mention_id == mention_id).order_by(Capture.id)))
    shown = _shown(captures, capture)
    response = render(
        request,
        "evidence_mention.html",
        user=user,
        mention=mention,
        captures=captures,
        shown=shown,
        stamps=timestamp_counts(session, [c.id for c in captures]),
        copy=_copy(shown),
        preservation=session.get(Preservation, mention_id),
        rechecks=list(session.exec(select(Recheck).where(Recheck.mention_id == mention_id).order_by(Recheck.id))),
    )
    response.headers["content-security-policy"] = CAPTURE_POLICY
    return response


def _viewed(session, user, mention_id: int) -> None:
    """A "viewed" event in the custody log: who opened the preserved copy of which mention, when."""
    people = session.exec(select(MentionPerson.person_id).where(MentionPerson.mention_id == mention_id)).all()
    append_event(session, "viewed", f"user:{user.id}", f"mention:{mention_id}", person_ids=people)


def _shown(captures: list[Capture], wanted: int | None) -> Capture | None:
    if wanted is not None:
        chosen = next((c for c in captures if c.id == wanted), None)
        if chosen is None:
            raise HTTPException(status_code=404, detail=f"capture {wanted} is not one of this mention's")
        return chosen
    pages = [c for c in captures if c.kind in ("page", "recheck")]
    return (pages or captures or [None])[-1]


def _copy(capture: Capture | None) -> str | None:
    """The capture's payload as sanitised HTML (a feed or text shows as text); None when absent."""
    if capture is None:
        return None
    try:
        blob = store.read(get_settings(), capture.sha256)
    except FileNotFoundError:
        return None
    # A response (a poll, a page) or a resource (a stream's message): the record that holds the payload.
    payload = next(
        (
            r.content_stream().read()
            for r in ArchiveIterator(io.BytesIO(blob))
            if r.rec_type in ("response", "resource")
        ),
        b"",
    )
    text = payload.decode("utf-8", "replace")[:COPY_CHARS]
    return nh3.clean(
        text,
        tags=COPY_TAGS,
        attributes={"a": {"href"}},
        link_rel="noopener noreferrer nofollow",
        url_schemes={"http", "https"},
        strip_comments=True,
    )
