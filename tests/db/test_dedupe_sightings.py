"""The same post on several sources is stored once, with one sighting per source. Both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from monitor.core import db
from monitor.core.models import Mention, Sighting, Source
from monitor.core.storage import NewMention, save_many
from monitor.dedupe import canonical_url, global_identity

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def _sources(url: str, count: int) -> list[int]:
    with db.session_scope(url) as session:
        rows = [Source(url=f"https://feeds.example/{i}", name=f"feed {i}") for i in range(count)]
        session.add_all(rows)
        session.flush()
        return [s.id for s in rows]


def post(
    guid: str, *, url: str | None = None, identity: str | None = None, reposted_by: str | None = None
) -> NewMention:
    return NewMention(
        guid=guid,
        url=url,
        canonical_url=canonical_url(url),
        title="Vorontsov sentenced",
        text="Court news.",
        author=None,
        published_at=NOW,
        people={},
        identity=identity,
        reposted_by=reposted_by,
    )


def _rows(url: str, model) -> list:
    with db.session_scope(url) as session:
        return list(session.exec(select(model)))


def test_the_same_post_on_three_sources_is_one_mention_with_three_sightings(db_url):
    one, two, three = _sources(db_url, 3)
    with db.session_scope(db_url) as session:
        first = save_many(session, batches=[(one, [post("a", url="https://example.org/n/1?utm_source=x")])], now=NOW)
    with db.session_scope(db_url) as session:
        later = NOW + timedelta(hours=1)
        again = save_many(
            session,
            batches=[
                (two, [post("b", url="https://m.example.org/n/1/")]),
                (three, [post("c", url="https://news.google.com/news/url?url=https://www.example.org/n/1")]),
            ],
            now=later,
        )
    assert list(first.values()) == [[_rows(db_url, Mention)[0].id]] and again == {}
    sightings = _rows(db_url, Sighting)
    assert sorted(s.source_id for s in sightings) == [one, two, three]
    assert {s.mention_id for s in sightings} == {first[one][0]}
    assert {s.source_id: s.seen_at for s in sightings}[two] == NOW + timedelta(hours=1)


def test_a_boost_is_a_sighting_of_its_original(db_url):
    home, other = _sources(db_url, 2)
    uri = global_identity("mastodon", "https://mastodon.social/users/rights/statuses/1")
    with db.session_scope(db_url) as session:
        save_many(
            session, batches=[(home, [post("1", url="https://mastodon.social/@rights/1", identity=uri)])], now=NOW
        )
        boost = post("99", url="https://other.social/@booster/99", identity=uri, reposted_by="booster@other.social")
        assert save_many(session, batches=[(other, [boost])], now=NOW) == {}
    assert len(_rows(db_url, Mention)) == 1
    sightings = {s.source_id: s for s in _rows(db_url, Sighting)}
    assert sightings[other].reposted_by == "booster@other.social" and sightings[home].reposted_by is None


def test_polling_the_same_items_again_adds_no_sighting(db_url):
    (source,) = _sources(db_url, 1)
    for _ in range(2):
        with db.session_scope(db_url) as session:
            save_many(session, batches=[(source, [post("a", url="https://example.org/1"), post("b")])], now=NOW)
    assert len(_rows(db_url, Mention)) == 2 and len(_rows(db_url, Sighting)) == 2
