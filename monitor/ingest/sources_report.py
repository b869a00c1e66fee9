"""Source health for people (``monitor sources list``) and OPML import into the config."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Source, utcnow
from monitor.ingest.schedule import is_silent
from monitor.sources.opml import import_opml


def source_lines() -> Iterator[str]:
    """One line per source: state, name, URL, last success, items and new of the last poll."""
    now = utcnow()
    with db.session_scope() as session:
        for source in session.exec(select(Source).order_by(Source.id)):
            yield f"{_state(source, now):<13} {source.name} <{source.url}> " + _details(source)


def _state(source: Source, now) -> str:
    if not source.enabled:
        return "disabled"
    if source.last_error:
        return f"failing x{source.consecutive_failures}"
    if is_silent(source, now):
        return "went silent"
    return "ok" if source.last_success_at else "never polled"


def _details(source: Source) -> str:
    success = source.last_success_at.isoformat(timespec="minutes") if source.last_success_at else "never"
    error = f"; last error: {source.last_error}" if source.last_error else ""
    return f"last success {success}; last poll {source.items_last_poll} items, {source.new_last_poll} new{error}"


def append_sources(config: Path, opml: bytes) -> int:
    """Append [[source]] entries for the OPML feeds the config lacks; returns how many."""
    known = {s.url for s in load_watchlist(config).sources}
    entries = [e for e in import_opml(opml) if e["url"] not in known]
    blocks = []
    for entry in entries:
        lines = ["", "[[source]]", f"url = {json.dumps(entry['url'])}"]
        lines += [f"{key} = {json.dumps(entry[key], ensure_ascii=False)}" for key in ("name", "kind") if entry.get(key)]
        blocks.append("\n".join(lines) + "\n")
    with config.open("a", encoding="utf-8") as out:
        out.write("".join(blocks))
    return len(entries)
