"""Story clusters against the corpus in ``tests/fixtures/clusters.py``: no merge, no split.

Stored through ``save_many`` into both databases, so the LSH bands live in the database as
in production; then two writers at once on PostgreSQL must not split a story.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from monitor import db
from monitor.dedupe import fingerprint
from monitor.models import ClusterBand, Mention, Source
from monitor.store import NewMention, save_many
from tests.fixtures import clusters as fixture

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def item(n: int, title: str, text: str) -> NewMention:
    return NewMention(guid=f"g{n}", url=f"https://outlet{n}.example/story", canonical_url=f"https://outlet{n}.example/story",
                      title=title, text=text, author=None, published_at=NOW, people={})


def _source(url: str, name: str = "feed") -> int:
    with db.session_scope(url) as session:
        source = Source(url=f"https://feeds.example/{name}", name=name)
        session.add(source)
        session.flush()
        return source.id


def _store_one_by_one(url: str, source_id: int, rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """Each item in its own transaction; returns guid → story id."""
    stories = {}
    for n, (story, title, text) in rows:
        with db.session_scope(url) as session:
            save_many(session, batches=[(source_id, [item(n, title, text)])], now=NOW)
        stories[f"g{n}"] = story
    return stories


def _assert_one_cluster_per_story(url: str, stories: dict[str, str]) -> None:
    with db.session_scope(url) as session:
        clusters = dict(session.exec(select(Mention.guid, Mention.cluster_id)).all())
    by_story, by_cluster = defaultdict(set), defaultdict(set)
    for guid, story in stories.items():
        by_story[story].add(clusters[guid])
        by_cluster[clusters[guid]].add(story)
    split = {story: ids for story, ids in by_story.items() if len(ids) > 1}
    merged = {cluster: names for cluster, names in by_cluster.items() if len(names) > 1}
    assert not split, f"stories split over clusters: {split}"
    assert not merged, f"different stories merged: {merged}"


@pytest.mark.parametrize("order", ["as written", "copies first", "shuffled"])
def test_copies_join_their_story_and_near_misses_stay_apart(db_url, order):
    rows = list(enumerate(fixture.corpus()))
    if order == "copies first":
        rows.reverse()
    elif order == "shuffled":
        random.Random(5).shuffle(rows)
    stories = _store_one_by_one(db_url, _source(db_url), rows)
    _assert_one_cluster_per_story(db_url, stories)


def test_one_batch_clusters_like_many_transactions(db_url):
    source_id = _source(db_url)
    rows = list(enumerate(fixture.corpus()))
    with db.session_scope(db_url) as session:
        save_many(session, batches=[(source_id, [item(n, title, text) for n, (_, title, text) in rows])], now=NOW)
    _assert_one_cluster_per_story(db_url, {f"g{n}": story for n, (story, _, _) in rows})


def test_short_posts_cluster_only_on_exact_normalised_text(db_url):
    rows = [(n + 1000, row) for n, row in enumerate(fixture.SHORT)]
    stories = _store_one_by_one(db_url, _source(db_url), rows)
    _assert_one_cluster_per_story(db_url, stories)
    assert all(fingerprint(title, text).short for _, title, text in fixture.SHORT)


def test_a_long_post_leaves_its_bands_in_the_database(db_url):
    stories = _store_one_by_one(db_url, _source(db_url), [(1, fixture.corpus()[0])])
    with db.session_scope(db_url) as session:
        bands = session.exec(select(ClusterBand)).all()
        cluster_id = session.exec(select(Mention.cluster_id)).one()
    assert stories and len(bands) == 32 and {b.cluster_id for b in bands} == {cluster_id}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_writers_at_once_never_split_a_story(db_url):
    """Two threads store different copies of every story at the same moment, many times."""
    left, right = _source(db_url, "left"), _source(db_url, "right")
    copies = defaultdict(list)
    for n, (story, title, text) in enumerate(fixture.corpus()):
        if story in fixture.STORIES:
            copies[story].append((n, title, text))
    stories = {}
    for story, rows in copies.items():
        start = threading.Barrier(2)

        def write(source_id, chunk):
            start.wait()
            with db.session_scope(db_url) as session:
                save_many(session, batches=[(source_id, [item(n, title, text) for n, title, text in chunk])], now=NOW)

        threads = [threading.Thread(target=write, args=(left, rows[1::2])), threading.Thread(target=write, args=(right, rows[::2]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stories.update({f"g{n}": story for n, _, _ in rows})
    _assert_one_cluster_per_story(db_url, stories)
