"""A mention's time is when it was published, else when it was first seen (``Mention.at``):
the queue's order, its date and in-a-spike filters, and the person chart all use it.
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from monitor.core.models import Mention, Person, Spike, utcnow
from monitor.review.cards import Filters, list_cards
from monitor.web.people import daily_volume
from tests.support.web import _db, add_mention, cards_in

DAY = timedelta(days=1)


def _published(mention_id: int, when: datetime | None) -> None:
    with _db() as session:
        session.get(Mention, mention_id).published_at = when


def _person_id(name: str = "Vladimir Vorontsov") -> int:
    with _db() as session:
        return session.exec(select(Person.id).where(Person.name == name)).one()


def _page_ids(filters: Filters, *, limit: int = 50, after: str | None = None):
    with _db() as session:
        page = list_cards(session, filters=filters, limit=limit, after=after)
        return [c.row.mention.id for c in page.cards], page.next_cursor


def test_the_at_expression_reads_published_else_first_seen_on_both_databases(settings):
    published = add_mention(guid="p", fetched_ago=timedelta(0))
    seen_only = add_mention(guid="s", fetched_ago=timedelta(hours=5))
    when = utcnow().replace(microsecond=0) - 3 * DAY
    _published(published, when)
    with _db() as session:
        rows = dict(session.exec(select(Mention.id, Mention.at)).all())
        stored = session.get(Mention, seen_only)
        assert rows[published] == when and rows[published].tzinfo is not None
        assert rows[seen_only] == stored.fetched_at
        assert session.get(Mention, published).at == when  # the same rule in Python


def test_the_queue_lists_by_mention_time_then_id_not_by_when_it_was_fetched(reviewer):
    now = utcnow().replace(microsecond=0)
    # Fetched 21:00, 21:02, 20:20 in the words; published at other times.
    late_fetch_old_post = add_mention(guid="a", title="old post", fetched_ago=timedelta(minutes=0))
    early_fetch_new_post = add_mention(guid="b", title="new post", fetched_ago=timedelta(minutes=40))
    unpublished = add_mention(guid="c", title="no date", fetched_ago=timedelta(minutes=20))
    _published(late_fetch_old_post, now - 2 * DAY)
    _published(early_fetch_new_post, now - timedelta(minutes=5))
    expected = [early_fetch_new_post, unpublished, late_fetch_old_post]
    assert _page_ids(Filters(state=None))[0] == expected
    assert cards_in(reviewer.get("/review?state=all").text) == expected
    # Ties on the time fall back to the id, newest first, and the cursor pages through them.
    same = [add_mention(guid=f"t{i}", title=f"tie {i}") for i in range(3)]
    for mention_id in same:
        _published(mention_id, now - DAY)
    first, cursor = _page_ids(Filters(state=None), limit=3)
    rest, _ = _page_ids(Filters(state=None), limit=10, after=cursor)
    assert first + rest == [early_fetch_new_post, unpublished, *reversed(same), late_fetch_old_post]


def test_since_and_until_filter_by_when_the_post_was_published(reviewer):
    today = utcnow().date()
    old = add_mention(guid="old", title="published three days ago")
    fresh = add_mention(guid="fresh", title="published today")
    _published(old, datetime.combine(today - 3 * DAY, datetime.min.time(), timezone.utc) + timedelta(hours=12))
    _published(fresh, max(datetime.combine(today, datetime.min.time(), timezone.utc), utcnow() - timedelta(minutes=1)))
    day = (today - 3 * DAY).isoformat()
    assert cards_in(reviewer.get(f"/review?state=all&since={today.isoformat()}").text) == [fresh]
    assert cards_in(reviewer.get(f"/review?state=all&until={day}").text) == [old]
    assert cards_in(reviewer.get(f"/review?state=all&since={day}&until={day}").text) == [old]


def test_the_in_a_spike_filter_keeps_posts_published_inside_the_spike_window(reviewer):
    start = utcnow().replace(minute=0, second=0, microsecond=0) - 3 * DAY
    inside = add_mention(guid="in", title="sentenced")  # fetched now, published in the window
    before = add_mention(guid="before", title="earlier hearing")
    unrelated = add_mention(guid="other", title="other person", person="Anna Sokolova", alias="Sokolova")
    _published(inside, start + timedelta(minutes=30))
    _published(before, start - timedelta(hours=3))
    _published(unrelated, start + timedelta(minutes=30))
    with _db() as session:
        session.add(
            Spike(
                person_id=_person_id(), hour=start, end_at=start, count=5, expected=0.2, score=9.0, bucket_seconds=3600
            )
        )
    assert cards_in(reviewer.get("/review?state=all&spike=1").text) == [inside]


def test_the_person_chart_counts_each_day_by_publication_time(settings):
    today = utcnow().date()
    ids = [add_mention(guid=f"m{i}") for i in range(5)]  # all first seen now
    for n, mention_id in enumerate(ids):
        _published(
            mention_id,
            datetime.combine(today - (1 + n % 3) * DAY, datetime.min.time(), timezone.utc) + timedelta(hours=10),
        )
    with _db() as session:
        volume = dict(daily_volume(session, person_id=_person_id(), first=today - 4 * DAY, last=today))
    assert volume[today] == 0  # not one bar on the day they were fetched
    assert [volume[today - k * DAY] for k in (1, 2, 3)] == [2, 2, 1]
