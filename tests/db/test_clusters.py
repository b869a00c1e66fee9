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
import sqlalchemy as sa
from sqlmodel import select

from monitor.core import db
from monitor.core.models import ClusterBand, Mention, Source
from monitor.core.storage import NewMention, save_many
from monitor.dedupe import fingerprint
from monitor.dedupe.minhash import BANDS
from tests.fixtures import clusters as fixture

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def item(n: int, title: str, text: str) -> NewMention:
    return NewMention(
        guid=f"g{n}",
        url=f"https://outlet{n}.example/story",
        canonical_url=f"https://outlet{n}.example/story",
        title=title,
        text=text,
        author=None,
        published_at=NOW,
        people={},
    )


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
    assert stories and len(bands) == BANDS and {b.cluster_id for b in bands} == {cluster_id}


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

        threads = [
            threading.Thread(target=write, args=(left, rows[1::2])),
            threading.Thread(target=write, args=(right, rows[::2])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stories.update({f"g{n}": story for n, _, _ in rows})
    _assert_one_cluster_per_story(db_url, stories)


def test_migration_0008_rebuilds_the_band_index_from_the_stored_mentions(db_url):
    """Clusters stored before the band layout changed are still found by their copies."""
    from alembic import command

    from monitor.core.db import alembic_config
    from monitor.core.models import Cluster

    source_id = _source(db_url)  # at head: the source table's later columns go with the downgrade
    command.downgrade(alembic_config(db_url), "0007_spikes")
    _, title, text = fixture.corpus()[0]
    with db.session_scope(db_url) as session:
        cluster = Cluster(key="stored before 0008", created_at=NOW, signature=fingerprint(title, text).signature)
        session.add(cluster)
        session.flush()
        session.add(
            Mention(source_id=source_id, guid="old", title=title, text=text, fetched_at=NOW, cluster_id=cluster.id)
        )
        cluster_id = cluster.id
    command.upgrade(alembic_config(db_url), "head")
    with db.session_scope(db_url) as session:
        bands = {band.band: band.cluster_id for band in session.exec(select(ClusterBand))}
    assert bands == {band: cluster_id for band in fingerprint(title, text).bands()}
    _, copy_title, copy_text = fixture.corpus()[4]  # the same story, trimmed, with another key
    _store_one_by_one(db_url, source_id, [(2, ("verdict", copy_title, copy_text))])
    with db.session_scope(db_url) as session:
        assert session.exec(select(Mention.cluster_id).where(Mention.guid == "g2")).one() == cluster_id


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_key_a_writer_without_the_lock_took_first_is_joined_not_duplicated(db_url):
    """Between the locked read and the write, a lock-less writer (``cluster_ids``) stores the key."""
    from monitor.core.models import Cluster
    from monitor.core.storage import cluster_ids, clusters

    _, title, text = fixture.corpus()[0]
    fp = fingerprint(title, text)
    with db.session_scope(db_url) as other:
        taken = cluster_ids(other, keys={fp.exact_key}, now=NOW)[fp.exact_key]
    with db.session_scope(db_url) as session:
        ids = clusters._Postgres(session).write([fp], {band: ("new", 0) for band in fp.bands()}, NOW)
    with db.session_scope(db_url) as session:
        assert ids == [taken] and session.exec(select(sa.func.count()).select_from(Cluster)).one() == 1
        assert {b.cluster_id for b in session.exec(select(ClusterBand))} == {taken}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_database_lost_during_assignment_raises_the_error_writers_retry_on(db_url):
    """The assignment speaks to the driver directly; its errors must still be SQLAlchemy's."""
    from monitor.core.storage.clusters import assign_clusters

    _, title, text = fixture.corpus()[0]
    with db.session_scope(db_url) as session:
        backend = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with db.get_engine(db_url).connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(sa.exc.OperationalError) as lost:
            assign_clusters(session, prints=[fingerprint(title, text)], now=NOW)
        session.rollback()  # the connection is known to be gone: nothing to roll back on it
    assert lost.value.connection_invalidated
    _store_one_by_one(db_url, _source(db_url), [(1, ("verdict", title, text))])  # the next write works
