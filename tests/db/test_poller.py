"""The poll pipeline against feeds served on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import select

from monitor.core import db
from monitor.core.models import Cluster, Mention, MentionPerson, Person, Source
from monitor.entry.polling import poll_all_once
from tests.fixtures import feeds
from tests.support import paths
from tests.support.feedserver import FeedServer, Route
from tests.support.sources import _sync


def _mentions() -> list[Mention]:
    with db.session_scope() as session:
        return list(session.exec(select(Mention).order_by(Mention.id)))


def _source(url: str) -> Source:
    with db.session_scope() as session:
        return session.exec(select(Source).where(Source.url == url)).one()


def test_it_stores_each_matching_post_once_across_reposting_feeds(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")), etag='"v1"')
        server.routes["/atom"] = Route(feeds.atom_reposts(server.url("")), content_type="application/atom+xml")
        _sync(settings, feeds.config([server.url("/rss"), server.url("/atom")]))

        results = poll_all_once()

    # Both feeds are polled at once; whichever stores a post first has it as new.
    assert [(r.fetched, r.error) for r in results] == [(5, None), (5, None)]
    assert (sum(r.new for r in results), sum(r.duplicate for r in results)) == (3, 3)
    mentions = _mentions()
    assert sorted(m.title for m in mentions) == sorted(t for k, t, _ in feeds.POSTS if k in ("a1", "a2", "a4"))
    assert all(m.canonical_url and "utm_" not in m.canonical_url for m in mentions)


def test_it_links_each_mention_to_the_people_it_names(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        _sync(settings, feeds.config([server.url("/rss")]))
        poll_all_once()
    with db.session_scope() as session:
        rows = session.exec(
            select(Mention.title, Person.name).join(MentionPerson, MentionPerson.mention_id == Mention.id).join(Person)
        ).all()
    assert sorted(rows) == sorted(
        [
            ("Vladimir Vorontsov sentenced to seven years", "Vladimir Vorontsov"),
            ("Владимир Воронцов: приговор", "Vladimir Vorontsov"),
            ("Anna Sokolova writes from prison", "Anna Sokolova"),
        ]
    )


def test_a_second_poll_sends_the_etag_gets_304_and_stores_nothing(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")), etag='"v1"')
        _sync(settings, feeds.config([server.url("/rss")]))
        first = poll_all_once()
        second = poll_all_once()
        hits = server.hits_for("/rss")

    assert first[0].new == 3
    assert second[0].not_modified and second[0].new == 0
    assert hits[1].headers.get("If-None-Match") == '"v1"'
    assert hits[1].status == 304
    assert len(_mentions()) == 3


def test_a_changed_body_under_the_same_etag_is_still_read(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url(""), posts=feeds.POSTS[:1]))
        _sync(settings, feeds.config([server.url("/rss")]))
        poll_all_once()
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        second = poll_all_once()
    assert second[0].new == 2
    assert len(_mentions()) == 3


def test_failing_sources_record_a_clear_error_while_others_are_polled(settings):
    with FeedServer() as server:
        server.routes["/broken"] = Route("oops", status=500, content_type="text/plain")
        server.routes["/html"] = Route("<html><body><p>Hello, not a feed</p>", content_type="text/html")
        server.routes["/garbage"] = Route(b"\x00\xff\xfe garbage \x00", content_type="application/octet-stream")
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        urls = [server.url(p) for p in ("/broken", "/html", "/garbage", "/rss")]
        _sync(settings, feeds.config(urls))

        results = poll_all_once()

    by_url = {url: r for url, r in zip(urls, results)}
    assert by_url[urls[3]].new == 3 and by_url[urls[3]].error is None
    assert "HTTP 500" in by_url[urls[0]].error
    assert "not an RSS/Atom feed" in by_url[urls[1]].error
    assert "not an RSS/Atom feed" in by_url[urls[2]].error
    broken = _source(urls[0])
    assert broken.last_error and "HTTP 500" in broken.last_error
    assert broken.consecutive_failures == 1 and broken.next_poll_at > broken.last_polled_at
    assert _source(urls[3]).last_error is None


def test_a_failure_backs_off_longer_each_time(settings):
    with FeedServer() as server:
        server.routes["/broken"] = Route("down", status=503, content_type="text/plain", headers={"Retry-After": "7200"})
        _sync(settings, feeds.config([server.url("/broken")]))
        poll_all_once()
        source = _source(server.url("/broken"))
    wait = (source.next_poll_at - source.last_polled_at).total_seconds()
    assert wait >= 7200, "Retry-After must be honoured"


def test_the_same_story_from_two_outlets_shares_a_cluster(settings):
    story = [("s1", "Vladimir Vorontsov sentenced to seven years", "Report one.")]
    with FeedServer() as one, FeedServer() as two:
        one.routes["/rss"] = Route(feeds.rss(one.url(""), posts=story))
        two.routes["/rss"] = Route(feeds.rss(two.url(""), posts=[("other", story[0][1], "Report two.")]))
        _sync(settings, feeds.config([one.url("/rss"), two.url("/rss")]))
        poll_all_once()
    mentions = _mentions()
    assert len(mentions) == 2
    assert mentions[0].cluster_id == mentions[1].cluster_id
    with db.session_scope() as session:
        assert len(session.exec(select(Cluster)).all()) == 1


def test_an_api_source_keeps_its_cursor_and_sends_it_on_the_next_poll(settings):

    statuses = (paths.FIXTURES / "sources" / "mastodon_tag.json").read_bytes()
    path = "/api/v1/timelines/tag/FreeVorontsov"
    with FeedServer() as server:
        server.routes[path + "?limit=40"] = Route(statuses, content_type="application/json")
        server.routes[path + "?limit=40&min_id=113500000000000030"] = Route(b"[]", content_type="application/json")
        settings.config.write_text(
            feeds.CONFIG_PEOPLE + f'\n[[source]]\nurl = "{server.url(path)}"\nkind = "mastodon"\n', encoding="utf-8"
        )
        _sync(settings, settings.config.read_text(encoding="utf-8"))
        first = poll_all_once()
        source = _source(server.url(path))
        with db.session_scope() as session:  # due again at once
            session.get(Source, source.id).next_poll_at = None
        second = poll_all_once()
        requested = [hit.path for hit in server.hits]

    assert first[0].error is None and first[0].new == 2
    assert source.cursor == "113500000000000030"
    assert requested == [path + "?limit=40", path + "?limit=40&min_id=113500000000000030"]
    assert second[0].error is None and second[0].new == 0
    assert _source(server.url(path)).cursor == "113500000000000030", "an empty page keeps the cursor"
