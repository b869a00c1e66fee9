"""The digest's top stories and solidarity highlights on any mix of stories (Hypothesis),
SQLite and PostgreSQL: no story is told twice, a top story told by supporters is marked,
and the highlights fill with the solidarity stories the top ones leave out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core.db import session_scope
from monitor.notify.digest.stats import HIGHLIGHTS, TOP_STORIES, day_stats
from tests.support.digest import DAY, NOON, make_cluster, make_mention, make_person, make_source

# One story: whether supporters tell it, its copies, whether a reviewer confirmed its first copy.
STORY = st.tuples(st.booleans(), st.integers(1, 4), st.booleans())


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stories=st.lists(STORY, min_size=1, max_size=8))
def test_each_story_is_told_once_and_solidarity_is_said_where_it_is_shown(settings, stories):
    person, source = make_person(f"Vladimir Vorontsov {uuid.uuid4().hex[:8]}"), make_source()  # one per example
    headline = {}
    for k, (solidarity, copies, confirmed) in enumerate(stories):
        cluster = make_cluster() if copies > 1 else None
        title = f"{'Solidarity with' if solidarity else 'Report on'} Vorontsov, story {k}"
        for copy in range(copies):
            at = NOON + timedelta(minutes=10 * k + copy)
            mention = make_mention(
                source,
                [person],
                title=title,
                published_at=at,
                cluster=cluster,
                status="confirmed" if confirmed and not copy else "new",
            )
            headline[mention.id] = k
    with session_scope(settings.database_url) as session:
        numbers = day_stats(session, day=DAY, zone=ZoneInfo("Europe/Moscow")).persons[person.id]

    top = [headline[post.id] for post in numbers.stories]
    highlighted = [headline[post.id] for post in numbers.highlights]
    # The most copied stories, the earliest first among equals.
    expected_top = sorted(range(len(stories)), key=lambda k: (-stories[k][1], k))[:TOP_STORIES]
    assert sorted(top) == sorted(expected_top)
    assert [post.copies for post in numbers.stories] == [stories[k][1] for k in top]
    assert [post.solidarity for post in numbers.stories] == [stories[k][0] for k in top]
    left_out = [k for k in range(len(stories)) if stories[k][0] and k not in top]
    assert len(set(highlighted)) == len(highlighted) == min(HIGHLIGHTS, len(left_out))
    assert set(highlighted) <= set(left_out)
    confirmed_left_out = [k for k in left_out if stories[k][2]]
    assert set(confirmed_left_out[:HIGHLIGHTS]) <= set(highlighted)  # confirmed ones first
    assert [post.at for post in numbers.highlights] == sorted(post.at for post in numbers.highlights)
