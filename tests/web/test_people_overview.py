"""The People page: who is talked about now, busiest first, with the review backlog; a filter on
names and aliases in any script. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core.models import Alias, Mention, MentionPerson, Person, Source, Spike, utcnow
from monitor.core.storage.spike_state import ALL_KINDS
from tests.support.web import _db

NOW = utcnow()


def person(name: str, *aliases: str, **values) -> int:
    with _db() as session:
        row = Person(name=name, **values)
        session.add(row)
        session.flush()
        session.add_all([Alias(person_id=row.id, text=alias, kind="alias") for alias in aliases])
        return row.id


def mentions(person_id: int, *, days_ago: float, count: int = 1, **values) -> None:
    with _db() as session:
        source = session.get(Source, 1) or Source(id=1, url="https://a.example/feed", name="A")
        session.add(source)
        session.flush()
        for _ in range(count):
            at = NOW - timedelta(days=days_ago)
            mention = Mention(
                source_id=source.id, guid=f"{person_id}-{at}-{_}", published_at=at, fetched_at=NOW, **values
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person_id))


def spike(person_id: int, *, days_ago: float, kind: str = ALL_KINDS) -> None:
    with _db() as session:
        hour = (NOW - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
        session.add(Spike(person_id=person_id, source_kind=kind, hour=hour, count=40, expected=2.0, score=9.0))


def rows(page: str) -> dict[int, list[str]]:
    """Each person row's cells as text, by person id, in page order."""
    found = {}
    for person_id, body in re.findall(r'<tr id="person-(\d+)">(.*?)</tr>', page, re.S):
        found[int(person_id)] = [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        ]
    return found


def test_each_person_shows_the_weeks_mentions_and_spikes_and_the_backlog_busiest_first(reviewer_client):
    quiet, busy = person("Anna Quiet"), person("Vladimir Vorontsov")
    mentions(busy, days_ago=1, count=3)
    mentions(busy, days_ago=2, status="dismissed", review_state="reviewed")  # not a mention of his
    mentions(busy, days_ago=3, review_state="reviewed")
    mentions(busy, days_ago=20, count=2)  # before the week: backlog only
    mentions(busy, days_ago=40)  # before the backlog counted too
    spike(busy, days_ago=1)
    spike(busy, days_ago=1, kind="rss")  # folded under the person's spike: not counted twice
    spike(busy, days_ago=10)
    mentions(quiet, days_ago=30, review_state="reviewed")

    page = reviewer_client.get("/people").text

    assert rows(page) == {busy: ["Vladimir Vorontsov", "4", "▲ 1", "5", ""], quiet: ["Anna Quiet", "0", "0", "0", ""]}
    assert list(rows(page)) == [busy, quiet]  # busiest first, though "Anna" comes first by name
    since = (NOW.date() - timedelta(days=29)).isoformat()  # the queue filter that lists those 5
    assert f'href="/review?person={busy}&amp;since={since}"' in page and "2 people" in page
    assert list(rows(reviewer_client.get("/people?sort=name").text)) == [quiet, busy]


def test_the_filter_finds_a_person_by_any_alias_in_any_script_case_or_accent(reviewer_client):
    sokolova = person("Anna Sokolova", "Анна Соколова")
    person("Vladimir Vorontsov", "Владимир Воронцов")
    petrova = person("Léa Petrová")

    assert list(rows(reviewer_client.get("/people", params={"q": "СОКОЛОВ"}).text)) == [sokolova]
    assert list(rows(reviewer_client.get("/people", params={"q": "  sokolova "}).text)) == [sokolova]
    assert list(rows(reviewer_client.get("/people", params={"q": "lea petrova"}).text)) == [petrova]
    page = reviewer_client.get("/people", params={"q": "Navalny"}).text
    assert rows(page) == {} and "Nobody tracked matches this name." in page


def test_the_alert_column_names_a_sensitivity_or_mute_that_holds_and_nothing_else(reviewer_client):
    eager = person("Anna Eager", alert="eager")
    muted = person("Boris Muted", mute_until=NOW.date() + timedelta(days=3))
    lapsed = person("Vera Lapsed", alert="normal", mute_until=date(2020, 1, 1))

    found = rows(reviewer_client.get("/people").text)

    assert found[eager][4] == "sensitivity: eager"
    assert found[muted][4] == f"muted through {(NOW.date() + timedelta(days=3)).isoformat()}"
    assert found[lapsed][4] == ""


def test_the_page_reads_in_russian(reviewer_client):
    person("Anna Sokolova", alert="quiet")

    page = reviewer_client.get("/people", headers={"Accept-Language": "ru"}).text

    assert "упоминаний за 7 дней" in page and "чувствительность: низкая" in page and "1 человек" in page


def test_a_bad_order_or_an_overlong_filter_is_refused_in_one_line(reviewer_client):
    assert reviewer_client.get("/people?sort=oldest").status_code == 400
    assert reviewer_client.get("/people", params={"q": "x" * 201}).status_code == 422


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_any_filter_text_gives_the_page_and_is_shown_escaped(reviewer_client, text):
    with _db() as session:
        if session.exec(select(Person)).first() is None:
            session.add(Person(name="Anna Sokolova"))

    response = reviewer_client.get("/people", params={"q": text})

    assert response.status_code == 200 and "<h1>" in response.text
    if set(text) & set('<>"&'):
        assert f'value="{text}"' not in response.text  # the field shows it escaped
