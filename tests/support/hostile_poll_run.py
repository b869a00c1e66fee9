"""Run by ``tests/stack/test_hostile_poll.py`` in a subprocess under a memory cap: Hypothesis feeds
generated hostile entries through every adapter and the writer, on the database the
``MONITOR_*`` environment names, and checks after each poll that it completed: every source
polled, the good feed's new post stored. Exit 0 when every example held.

    python -m tests.support.hostile_poll_run --examples 40
"""

from __future__ import annotations

import argparse
import itertools
import sys

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Mention, Source
from monitor.core.settings import get_settings
from monitor.core.storage import sync_watchlist
from monitor.ingest.poller import poll_many
from tests.fixtures import feeds
from tests.support.hostile_feeds import ENTRIES, KINDS, HostileServer, config, good_rss


def _source_ids(settings) -> list[int]:
    db.upgrade(settings.database_url)
    with db.session_scope() as session:
        sync_watchlist(session, watchlist=load_watchlist(settings.config))
        return [s.id for s in session.exec(select(Source).where(Source.enabled == True).order_by(Source.id))]


def _check(server: HostileServer, ids: list[int], key: str) -> None:
    results = poll_many(ids)
    assert [r.source_id for r in results] == ids, "a result for every source, in order"
    good = results[-1]
    assert good.name == "good" and good.error is None and good.new == 1, good
    with db.session_scope() as session:
        assert session.exec(select(Mention.id).where(Mention.guid == key)).first(), "the good post is stored"
        unpolled = session.exec(select(Source.name).where(Source.id.in_(ids), Source.last_polled_at == None)).all()
    assert not unpolled, f"sources left unpolled: {unpolled}"


def main(examples: int) -> int:
    settings = get_settings()
    server = HostileServer()
    settings.config.write_text(config(server.base, feeds.CONFIG_PEOPLE), encoding="utf-8")
    ids = _source_ids(settings)
    assert len(ids) == len(KINDS) + 1
    counter = itertools.count()

    @given(st.fixed_dictionaries({kind: ENTRIES for kind in KINDS}))
    @hypothesis_settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True
    )
    def every_poll_completes(by_kind: dict) -> None:
        key = f"good-{next(counter)}"
        for kind, entries in by_kind.items():
            server.serve(kind, entries)
        server.bodies["/good.xml"] = ("application/rss+xml", good_rss(server.base, key))
        _check(server, ids, key)

    try:
        every_poll_completes()
    finally:
        server.close()
    print(f"ok: {next(counter)} polls of {len(ids)} sources")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=40)
    sys.exit(main(parser.parse_args().examples))
