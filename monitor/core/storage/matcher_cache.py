"""The expanded watch list, cached in the database so every process shares one build.

Expanding 1,000 people into every case form, transliteration and foreign spelling
(``matching.expand.build_table``) costs about 2 s of CPU; loading the result costs a
fraction of that (issue 15: "the expanded watch list is cached by a hash of the people's
names, in the database, so every worker shares it"). The matching layer stays pure: this
module reads the people, finds or builds their table and hands ``Matcher`` a ready one.

- ``matcher_for(session)``: the matcher of the active people (what polls, streams, the
  web and ``monitor match --from-db`` use).
- ``cached_matcher(session, people)``: the same for any list of ``PersonNames``.

The key is a SHA-256 over ``FORMAT``, a digest of the expansion code (every file of
``monitor.matching`` and the versions of the libraries that spell names) and every field
of every person in order; so a person added or edited anywhere, or a change of the rules,
makes a new key, and nobody has to remember to bump a constant. The row holds
zlib-compressed JSON (``matcher_codec``), never pickle: a database row must not be able to
run code. A row that does not decode is logged, ignored and rebuilt. A memo keeps the last
few matchers of this process, so a worker does not even reload per batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import importlib.metadata
import json
import logging
import threading
import time
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor import matching
from monitor.core.db import SQLITE_BUSY_TIMEOUT_MS
from monitor.core.models import MatcherCache
from monitor.matching import Matcher, PersonNames
from monitor.matching.codec import FORMAT, CorruptCache, decode, encode
from monitor.matching.expand import build_table

log = logging.getLogger(__name__)

KEEP_ROWS = 3  # older watch lists' rows beyond these are deleted when a new one is stored
MEMO_SIZE = 4  # matchers kept in this process: one watch list at a time, plus a few in tests
SQLITE_WRITE_WAIT_MS = 250  # how long the side write waits for another SQLite writer
# The libraries whose data decide how a name is spelt and declined; a new version may spell
# differently, so it makes a new key.
SPELLING_LIBRARIES = ("pymorphy3", "pymorphy3-dicts-ru", "pymorphy3-dicts-uk", "pytrovich", "iuliia", "text-unidecode")

# How each matcher of this process was had: "memo", "loaded", "expanded", "corrupt" (a row
# that did not decode), "unreadable" and "unsaved" (the database would not give or take a
# row). Tests count with it.
counts: Counter[str] = Counter()
_memo: OrderedDict[str, Matcher] = OrderedDict()
_lock = threading.Lock()  # one build at a time: web threads asking together share it


def matcher_for(session: Session) -> Matcher:
    """A matcher for the active people in the database, from the cache when it has them."""
    return cached_matcher(session, people_from_db(session))


def people_from_db(session: Session) -> list[PersonNames]:
    """The active, unpaused people as the matcher needs them, in id order."""
    from monitor.core.storage import active_people, person_terms

    terms = person_terms(session)
    return [PersonNames(p.name, tuple(a), tuple(e), **terms.get(p.id, {})) for p, a, e in active_people(session)]


def cached_matcher(session: Session, people: Sequence[PersonNames]) -> Matcher:
    """The matcher for ``people``: from this process's memo, else the database's row for
    their key, else built and stored. A failure to store is logged, never raised."""
    people = tuple(people)
    key = expansion_key(people)
    with _lock:
        if key in _memo:
            _memo.move_to_end(key)
            counts["memo"] += 1
            return _memo[key]
        with _paused_gc():
            matcher = Matcher(people, table=_table(session, key, people))
        _memo[key] = matcher
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
        return matcher


@contextlib.contextmanager
def _paused_gc():
    """The cyclic collector off while 150,000 entries are made: none of them can form a cycle,
    and its passes over the growing heap cost more than the decoding itself (0.7 s → 0.3 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def forget() -> None:
    """Empty this process's memo (the database rows stay)."""
    with _lock:
        _memo.clear()


def expansion_key(people: Sequence[PersonNames]) -> str:
    """The cache key of ``people``: changes with any field of any person, their order, the
    blob format and the expansion code."""
    fields = [f.name for f in dataclasses.fields(PersonNames)]
    described = [[getattr(p, name) for name in fields] for p in people]
    text = json.dumps([FORMAT, code_digest(), fields, described], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of what the expansion is made of: every source and data file of
    ``monitor.matching``, the spelling libraries' versions and the Unicode tables'."""
    digest = hashlib.sha256(unicodedata.unidata_version.encode())
    root = Path(matching.__file__).parent
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in SPELLING_LIBRARIES:
        digest.update(f"{name}={_version(name)}\0".encode())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _table(session: Session, key: str, people: tuple[PersonNames, ...]) -> dict:
    """The stored table for ``key`` when it decodes, else a new one (stored for the others)."""
    started = time.process_time()
    blob = _read(session, key)
    if blob is not None:
        try:
            table = decode(blob, key=key, people=len(people))
        except CorruptCache as exc:
            counts["corrupt"] += 1
            log.warning("ignoring a corrupt matcher cache row: %s", exc, extra={"key": key[:12]})
        else:
            counts["loaded"] += 1
            log.info("matcher loaded from the cache", extra=_context(key, people, table, started))
            return table
    table = build_table(list(people))
    counts["expanded"] += 1
    _store(session, key, len(people), encode(table, key=key, people=len(people)))
    log.info("matcher expanded and cached", extra=_context(key, people, table, started))
    return table


def _read(session: Session, key: str) -> bytes | None:
    """The stored blob for ``key``, or None. In a savepoint: should the table be missing (a
    database not yet migrated), the caller's transaction must stay usable."""
    try:
        with session.begin_nested():
            blob = session.exec(select(MatcherCache.data).where(MatcherCache.key == key)).first()
    except sa.exc.SQLAlchemyError as exc:
        counts["unreadable"] += 1
        log.warning("could not read the matcher cache: %s", type(exc).__name__, extra={"key": key[:12]})
        return None
    return None if blob is None else bytes(blob)


def _context(key: str, people: tuple, table: dict, started: float) -> dict:
    # No names: the key's prefix and sizes are enough to follow a build in the logs.
    return {
        "key": key[:12],
        "people": len(people),
        "patterns": len(table),
        "cpu_seconds": round(time.process_time() - started, 3),
    }


def _store(session: Session, key: str, people: int, data: bytes) -> None:
    """Write the row in a short transaction of its own, so other processes see it at once.

    On SQLite the caller's own transaction may hold the write lock (a stream sync, a review
    action); after a short wait the row goes into the caller's transaction instead."""
    row = {"key": key, "built_at": datetime.now(timezone.utc), "people": people, "data": data}
    engine = session.get_bind()
    try:
        with engine.connect() as connection:
            _write(connection, row)
        return
    except sa.exc.SQLAlchemyError:
        pass  # mostly "locked" on SQLite; anything else fails again below, and is logged there
    try:
        with session.begin_nested():
            _insert(session.connection(), row)
    except sa.exc.SQLAlchemyError as exc:
        counts["unsaved"] += 1
        log.warning("could not store the matcher cache: %s", type(exc).__name__, extra={"key": key[:12]})


def _write(connection: sa.Connection, row: dict) -> None:
    """``_insert`` in a transaction of its own; on SQLite waiting at most ``SQLITE_WRITE_WAIT_MS``."""
    if connection.dialect.name != "sqlite":
        with connection.begin():
            _insert(connection, row)
        return
    _busy_timeout(connection, SQLITE_WRITE_WAIT_MS)
    try:
        with connection.begin():
            _insert(connection, row)
    finally:
        _busy_timeout(connection, SQLITE_BUSY_TIMEOUT_MS)  # the pooled connection's usual wait


def _busy_timeout(connection: sa.Connection, milliseconds: int) -> None:
    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(milliseconds)}")
    connection.commit()  # the pragma began a transaction; the next ``begin`` needs none open


def _insert(connection: sa.Connection, row: dict) -> None:
    """Insert or replace ``row``; keep the newest ``KEEP_ROWS`` rows.

    Replacing, not skipping, on a conflict: two processes that raced wrote the same bytes,
    and a row that failed to decode must give way to the good one."""
    table = MatcherCache.__table__
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**row)
    replace = {name: statement.excluded[name] for name in ("built_at", "people", "data")}
    connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_=replace))
    newest = sa.select(table.c.key).order_by(table.c.built_at.desc(), table.c.key).limit(KEEP_ROWS)
    connection.execute(table.delete().where(table.c.key.not_in(newest.scalar_subquery())))
