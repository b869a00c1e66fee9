"""Polling one source: fetch → parse → match → dedupe → store → reschedule.

``poll_source(source_id)`` is the whole pipeline for one source and never raises for a
bad feed: the error is recorded on the source and the next poll is scheduled with
backoff. Celery tasks and ``monitor poll --once`` both call it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from monitor import db, sources
from monitor.config import get_settings
from monitor.dedupe import canonical_url, story_key
from monitor.fetch import FetchError, fetch, make_client
from monitor.matching import Matcher
from monitor.models import Source, utcnow
from monitor.store import NewMention, save_mentions

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class PollResult:
    source_id: int
    name: str
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    unmatched: int = 0
    not_modified: bool = False
    error: str | None = None


def poll_source(source_id: int, *, client: httpx.Client | None = None, now: datetime | None = None) -> PollResult:
    """Poll one source and store its new mentions; errors end up on the source row."""
    now = now or utcnow()
    with db.session_scope() as session:
        source = session.get(Source, source_id)
        if source is None:
            return PollResult(source_id, "?", error="no such source")
        matcher = Matcher.from_db(session)
        url, kind, etag, last_modified, body_hash = source.url, source.kind, source.etag, source.last_modified, source.body_hash
        result = PollResult(source_id, source.name or url)
    try:
        response = _fetch(client, url, etag, last_modified)
        digest = hashlib.sha256(response.body).hexdigest() if not response.not_modified else body_hash
        if response.not_modified or digest == body_hash:
            result.not_modified = True
        else:
            _store(result, sources.parse(kind, response.body, response.headers, response.url), matcher, now)
        _record_success(source_id, response.headers, digest, now)
    except (FetchError, sources.ParseError) as exc:
        result.error = str(exc)
        _record_failure(source_id, exc, now)
    log.info("polled source", extra={"source_id": source_id, "url": url, "new": result.new, "error": result.error})
    return result


def _fetch(client: httpx.Client | None, url: str, etag: str | None, last_modified: str | None):
    if client is not None:
        return fetch(client, url, etag=etag, last_modified=last_modified)
    with make_client() as own:
        return fetch(own, url, etag=etag, last_modified=last_modified)


def _store(result: PollResult, items: list[sources.Item], matcher: Matcher, now: datetime) -> None:
    mentions = []
    for item in items:
        found = matcher.find(f"{item.title}\n{item.text}")
        if not found:
            result.unmatched += 1
            continue
        people = {}
        for match in found:
            people.setdefault(match.person, match.alias)
        mentions.append(_new_mention(item, people))
    result.fetched = len(items)
    with db.session_scope() as session:
        new_ids = save_mentions(session, source_id=result.source_id, mentions=mentions, now=now)
    result.new = len(new_ids)
    result.duplicate = len(mentions) - len(new_ids)
    if new_ids:
        _update_spikes(now)


def _update_spikes(now: datetime) -> None:
    # Spikes are derived from stored mentions and recomputed on the next poll, so a
    # failure here must not lose the mentions just stored.
    from monitor.spikes import update_spikes

    try:
        with db.session_scope() as session:
            update_spikes(session, now=now)
    except Exception:
        log.exception("spike update failed", extra={"at": now.isoformat()})


def _new_mention(item: sources.Item, people: dict[str, str]) -> NewMention:
    return NewMention(
        guid=item.guid, url=item.url, canonical_url=canonical_url(item.url), title=item.title,
        text=item.text, author=item.author, published_at=item.published_at,
        cluster_key=story_key(item.title, item.text), people=people,
    )


def _record_success(source_id: int, headers: dict[str, str], body_hash: str | None, now: datetime) -> None:
    interval = timedelta(seconds=get_settings().poll_interval_seconds)
    with db.session_scope() as session:
        source = session.get(Source, source_id)
        source.etag = headers.get("etag", source.etag)
        source.last_modified = headers.get("last-modified", source.last_modified)
        source.body_hash = body_hash
        source.last_polled_at = source.last_success_at = now
        source.last_error, source.consecutive_failures = None, 0
        source.next_poll_at = now + interval


def _record_failure(source_id: int, exc: Exception, now: datetime) -> None:
    interval = timedelta(seconds=get_settings().poll_interval_seconds)
    with db.session_scope() as session:
        source = session.get(Source, source_id)
        source.consecutive_failures += 1
        source.last_polled_at = source.last_error_at = now
        source.last_error = str(exc)[:1000]
        backoff = min(interval * 2 ** min(source.consecutive_failures - 1, 10), MAX_BACKOFF)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            backoff = max(backoff, timedelta(seconds=retry_after))
        source.next_poll_at = now + backoff


def poll_all_once(*, progress: bool = False) -> list[PollResult]:
    """Poll every enabled source once, one after another, sharing one HTTP client."""
    from monitor.store import enabled_sources

    with db.session_scope() as session:
        targets = [(s.id, s.name or s.url) for s in enabled_sources(session)]
    results = []
    with make_client() as client, _progress(progress, len(targets)) as advance:
        for source_id, name in targets:
            results.append(poll_source(source_id, client=client))
            advance(name)
    return results


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self._bar = None
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._task = self._bar.add_task("polling", total=total)

    def __enter__(self):
        if self._bar:
            self._bar.start()
        return self._advance

    def _advance(self, name: str) -> None:
        if self._bar:
            self._bar.update(self._task, advance=1, description=f"polled {name[:40]}")

    def __exit__(self, *exc):
        if self._bar:
            self._bar.stop()


def print_summary(results: list[PollResult]) -> None:
    """One line per source (fetched, new, duplicate, failed) and a total line."""
    for r in results:
        state = f"failed: {r.error}" if r.error else ("not modified" if r.not_modified else "ok")
        print(f"{r.name}: fetched {r.fetched}, new {r.new}, duplicate {r.duplicate}, {state}")
    failed = sum(1 for r in results if r.error)
    print(
        f"total: {len(results)} sources, fetched {sum(r.fetched for r in results)}, "
        f"new {sum(r.new for r in results)}, duplicate {sum(r.duplicate for r in results)}, failed {failed}"
    )
