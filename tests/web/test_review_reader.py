"""What a reviewer reads, through the HTTP interface on SQLite and PostgreSQL: error pages,
permalinks, case-folded search in every script, times in the reader's zone, the open queue's
JSON, same-person warnings, pausing, private feeds and their tokens, detected source kinds.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import load_watchlist
from monitor.core.models import Cluster, Mention, Person, Spike, User, utcnow
from monitor.core.storage import active_people, sync_watchlist
from monitor.entry.polling import poll_all_once
from monitor.review.users import add_user
from tests.fixtures import feeds as feed_fixtures
from tests.support.feedserver import FeedServer, Route
from tests.support.web import (
    ADMIN,
    EMAIL,
    PASSWORD,
    _db,
    add_mention,
    add_reviewer,
    cards_in,
    csrf_from,
    login,
    post,
    sync,
)

ATOM = {"a": "http://www.w3.org/2005/Atom"}


# Error pages -----------------------------------------------------------------------------


def test_a_reviewer_gets_a_page_saying_what_they_may_not_do(reviewer):
    page = reviewer.get("/admin/users")
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Not allowed" in page.text and "Only admins can open this page." in page.text
    assert '{"detail"' not in page.text and "Back to the review queue" in page.text
    # The JSON API and the page's own script keep JSON.
    assert reviewer.get("/admin/users", headers={"X-Requested-With": "fetch"}).json() == {
        "detail": "only admins can open this page"
    }
    assert reviewer.get("/api/cards?state=nonsense").headers["content-type"].startswith("application/json")
    missing = reviewer.get("/people/9999")
    assert missing.status_code == 404 and "Not found" in missing.text and "No person 9999." in missing.text


def test_the_page_script_is_told_the_session_ended_instead_of_being_sent_to_login(client):
    response = client.post(
        "/review/act",
        data={"action": "escalate", "ids": "1"},
        headers={"X-Requested-With": "fetch"},
        follow_redirects=False,
    )
    assert response.status_code in (401, 403) and response.headers["content-type"].startswith("application/json")
    page = client.get("/review/fresh", headers={"X-Requested-With": "fetch"}, follow_redirects=False)
    assert page.status_code == 401 and "session has ended" in page.json()["detail"]
    assert client.get("/review", follow_redirects=False).headers["location"] == "/login"


# Permalinks ------------------------------------------------------------------------------


def test_every_mention_and_story_has_a_page_of_its_own(reviewer):
    first = add_mention(
        guid="a", title="Court extends detention", text="Vorontsov stays in SIZO-1 for three more months."
    )
    copy = add_mention(guid="b", title="Detention extended", source="Other News", fetched_ago=timedelta(minutes=5))
    with _db() as session:
        cluster = Cluster(key="story-1", created_at=utcnow())
        session.add(cluster)
        session.flush()
        for mention_id in (first, copy):
            session.get(Mention, mention_id).cluster_id = cluster.id
        cluster_id = cluster.id
    page = reviewer.get(f"/mentions/{first}")
    assert page.status_code == 200 and cards_in(page.text) == [first, copy]
    assert (
        "Vorontsov stays in SIZO-1 for three more months." in page.text
        and f'href="/clusters/{cluster_id}"' in page.text
    )
    story = reviewer.get(f"/clusters/{cluster_id}")
    assert story.status_code == 200 and cards_in(story.text) == [first, copy]
    assert reviewer.get("/mentions/999999").status_code == 404 and reviewer.get("/clusters/999999").status_code == 404
    assert f'href="/mentions/{first}"' in reviewer.get("/review").text  # the card links to it


def test_a_permalink_needs_a_session(client):
    mention_id = add_mention()
    assert client.get(f"/mentions/{mention_id}", follow_redirects=False).headers["location"] == "/login"


# Search ----------------------------------------------------------------------------------


def test_search_folds_case_in_every_script(reviewer):
    sizo = add_mention(guid="ru", title="Воронцова перевели в СИЗО", text="Адвокат Воронцова сообщил о переводе.")
    greek = add_mention(guid="el", title="ΔΙΚΗ ΣΤΗΝ ΑΘΗΝΑ", text="Vorontsov", fetched_ago=timedelta(minutes=1))
    latin = add_mention(
        guid="en", title="Hearing", text="VORONTSOV appeals 100% of it", fetched_ago=timedelta(minutes=2)
    )
    assert cards_in(reviewer.get("/review?q=сизо").text) == [sizo]
    assert cards_in(reviewer.get("/review?q=СИЗО").text) == [sizo]
    assert cards_in(reviewer.get("/review?q=воронцова").text) == [sizo]
    assert cards_in(reviewer.get("/review?q=δίκη").text) == []  # accents are not folded: only case
    assert cards_in(reviewer.get("/review?q=δικη").text) == [greek]
    assert cards_in(reviewer.get("/review?q=vorontsov appeals").text) == [latin]
    assert cards_in(reviewer.get("/review?q=100%25").text) == [latin]
    assert cards_in(reviewer.get("/review?q=_").text) == []  # a literal underscore, not "any character"


# Times -----------------------------------------------------------------------------------


def test_times_show_in_the_readers_zone_with_utc_on_hover(reviewer, settings):
    settings.config.write_text('[digest]\ntimezone = "Europe/Moscow"\n', encoding="utf-8")
    mention_id = add_mention(guid="t")
    with _db() as session:
        mention = session.get(Mention, mention_id)
        mention.published_at = datetime(2026, 3, 14, 21, 5, tzinfo=timezone.utc)
        mention.fetched_at = datetime(2026, 3, 14, 21, 40, tzinfo=timezone.utc)
    card = _card_html(reviewer.get("/review").text, mention_id)
    assert 'title="2026-03-14 21:05 UTC">2026-03-15 00:05 MSK</time>' in card  # the digest's zone by default
    assert 'title="2026-03-14 21:40 UTC">2026-03-15 00:40 MSK</time>' in card  # first seen, too

    token = csrf_from(reviewer.get("/settings").text)
    bad = reviewer.post("/settings/timezone", data={"timezone": "Mars/Olympus", "csrf_token": token})
    assert bad.status_code == 400 and "timezone: unknown timezone 'Mars/Olympus'" in html.unescape(bad.text)
    assert (
        reviewer.post(
            "/settings/timezone", data={"timezone": "America/New_York", "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    card = _card_html(reviewer.get("/review").text, mention_id)
    assert 'title="2026-03-14 21:05 UTC">2026-03-14 17:05 EDT</time>' in card
    with _db() as session:
        assert session.exec(select(User).where(User.email == EMAIL)).one().timezone == "America/New_York"


def _card_html(html: str, mention_id: int) -> str:
    start = html.index(f'id="mention-{mention_id}"')
    return html[start : html.index("</article>", start)]


# The open queue --------------------------------------------------------------------------


def test_the_open_queue_learns_of_new_cards_and_the_count(reviewer):
    first = add_mention(guid="a", title="Seen when the page was drawn")
    newest = int(re.search(r'data-newest="(\d+)"', reviewer.get("/review").text).group(1))
    assert newest == first
    quiet = reviewer.get(f"/review/fresh?newest={newest}").json()
    assert (quiet["new"], quiet["total"], quiet["newest"]) == (0, 1, first)
    later = add_mention(guid="b", title="Arrived later", fetched_ago=timedelta(hours=2))  # an older post, found now
    other = add_mention(guid="c", title="Someone else", person="Anna Sokolova", alias="Sokolova")
    fresh = reviewer.get(f"/review/fresh?newest={newest}&person={_person_id('Vladimir Vorontsov')}").json()
    assert (fresh["new"], fresh["total"], fresh["newest"]) == (1, 2, other)
    assert cards_in(fresh["html"]) == [later] and "Arrived later" in fresh["html"]


def _person_id(name: str) -> int:
    with _db() as session:
        return session.exec(select(Person).where(Person.name == name)).one().id


# The same person twice -------------------------------------------------------------------


def test_adding_a_tracked_name_again_is_refused_and_the_form_keeps_what_was_typed(admin):
    sync({"person": [{"name": "Vladimir Vorontsov", "aliases": ["Владимир Воронцов", "Vorontsov"]}]})
    page = post(
        admin,
        "/admin/people",
        page="/admin/people",
        name="Владимир Воронцов",
        aliases="Vorontsov\nВоронцов Владимир",
        exclude="Vorontsov Palace",
    )
    assert page.status_code == 400
    assert "name: 'Владимир Воронцов' is already a name of 'Vladimir Vorontsov': add it there instead" in html.unescape(
        page.text
    )
    assert 'value="Владимир Воронцов"' in page.text and "Vorontsov Palace</textarea>" in page.text
    with _db() as session:
        assert session.exec(select(Person).where(Person.name == "Владимир Воронцов")).first() is None


def test_a_name_that_looks_like_a_tracked_person_warns_until_confirmed(admin):
    sync({"person": [{"name": "Vladimir Vorontsov", "aliases": ["Vorontsov"]}]})
    page = post(admin, "/admin/people", page="/admin/people", name="Irina Vorontsova", aliases="Ирина Воронцова")
    assert page.status_code == 400 and "looks like 'Vladimir Vorontsov'" in html.unescape(page.text)
    assert 'name="confirm"' in page.text
    assert 'value="Irina Vorontsova"' in page.text
    page = post(
        admin, "/admin/people", page="/admin/people", name="Irina Vorontsova", aliases="Ирина Воронцова", confirm="true"
    )
    assert page.status_code == 303
    unrelated = post(admin, "/admin/people", page="/admin/people", name="Anna Sokolova")
    assert unrelated.status_code == 303  # no warning for a name nobody shares


# Pause and expected spikes ---------------------------------------------------------------


def test_a_config_person_paused_on_the_web_stays_paused_across_syncs(admin, settings):
    sync()
    person_id = _person_id("Vladimir Vorontsov")
    assert (
        post(admin, f"/admin/people/{person_id}/pause", page=f"/admin/people/{person_id}", action="pause").status_code
        == 303
    )
    sync()  # the config still lists him
    with _db() as session:
        assert session.get(Person, person_id).paused_at is not None
        assert [p.name for p, _, _ in active_people(session)] == []
    page = admin.get(f"/people/{person_id}").text
    assert "from the config file" in page and "Paused on the web since" in page and "until an admin resumes it" in page
    assert (
        post(admin, f"/admin/people/{person_id}/pause", page=f"/admin/people/{person_id}", action="resume").status_code
        == 303
    )
    with _db() as session:
        assert [p.name for p, _, _ in active_people(session)] == ["Vladimir Vorontsov"]


def test_the_person_page_says_which_spike_was_marked_expected(reviewer):
    add_mention()
    person_id = _person_id("Vladimir Vorontsov")
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    with _db() as session:
        session.add(
            Spike(
                person_id=person_id,
                hour=hour - timedelta(hours=3),
                count=9,
                expected=1.0,
                score=5.0,
                expected_by_reviewer=True,
                expected_at=hour,
            )
        )
        session.add(Spike(person_id=person_id, hour=hour - timedelta(hours=1), count=7, expected=1.0, score=4.0))
    page = reviewer.get(f"/people/{person_id}").text
    items = re.findall(r'<li class="spike( expected)?">(.*?)</li>', page, re.S)
    assert [(bool(flag), "marked expected" in text) for flag, text in items] == [(False, False), (True, True)]


# Private feeds ---------------------------------------------------------------------------


def _new_token(client) -> str:
    token = csrf_from(client.get("/settings").text)
    assert (
        client.post(
            "/settings/feed-token", data={"action": "new", "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    found = re.search(r"/feeds/review\.atom\?token=([\w.]+)", client.get("/settings").text)
    return found.group(1)


def test_a_private_feed_follows_the_queue_and_a_person_until_revoked(reviewer, settings):
    mention_id = add_mention(guid="f", title="Court <hearing> & appeal", text="Vorontsov\x07 appealed")
    token = _new_token(reviewer)
    reviewer.cookies.clear()  # a feed reader has no session
    feed = reviewer.get(f"/feeds/review.atom?token={token}")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    [entry] = ET.fromstring(feed.content).findall("a:entry", ATOM)
    assert entry.find("a:title", ATOM).text == "Court <hearing> & appeal"
    assert entry.find("a:summary", ATOM).text == "Vorontsov appealed"  # a control character XML cannot carry is dropped
    assert entry.find("a:link[@rel='related']", ATOM).get("href").endswith(f"/mentions/{mention_id}")
    person = reviewer.get(f"/feeds/people/{_person_id('Vladimir Vorontsov')}.atom?token={token}")
    assert len(ET.fromstring(person.content).findall("a:entry", ATOM)) == 1
    assert reviewer.get(f"/feeds/review.atom?token={token}&label=hostile").status_code == 200
    assert not ET.fromstring(reviewer.get(f"/feeds/review.atom?token={token}&state=reviewed").content).findall(
        "a:entry", ATOM
    )

    assert login(reviewer).status_code == 303
    csrf = csrf_from(reviewer.get("/settings").text)
    reviewer.post("/settings/feed-token", data={"action": "revoke", "csrf_token": csrf})
    reviewer.cookies.clear()
    assert reviewer.get(f"/feeds/review.atom?token={token}").status_code == 404
    forged = token.split(".")[0] + "." + "0" * 40
    assert reviewer.get(f"/feeds/review.atom?token={forged}").status_code == 404
    assert reviewer.get("/feeds/review.atom").status_code == 404


def test_revoking_ones_token_leaves_another_users_feed_open(client, settings):
    add_mention()
    add_reviewer()
    add_user(email="second@example.org", role="reviewer", password=PASSWORD)
    assert login(client).status_code == 303
    first = _new_token(client)
    client.cookies.clear()
    assert login(client, email="second@example.org").status_code == 303
    second = _new_token(client)
    replaced = _new_token(client)  # a new token revokes the old one
    client.cookies.clear()
    assert client.get(f"/feeds/review.atom?token={first}").status_code == 200
    assert client.get(f"/feeds/review.atom?token={second}").status_code == 404
    assert client.get(f"/feeds/review.atom?token={replaced}").status_code == 200
    with _db() as session:
        session.exec(select(User).where(User.email == "second@example.org")).one().active = False
    assert client.get(f"/feeds/review.atom?token={replaced}").status_code == 404  # a deactivated user's feeds close


def test_prometheus_scrapes_metrics_with_an_admins_token(admin, settings):
    admin_token = _new_token(admin)
    admin.cookies.clear()
    assert admin.get(f"/metrics?token={admin_token}").status_code == 200
    assert admin.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200
    add_reviewer()
    assert login(admin).status_code == 303
    reviewer_token = _new_token(admin)
    admin.cookies.clear()
    assert admin.get(f"/metrics?token={reviewer_token}").status_code == 401  # reviewers' tokens open feeds only
    assert login(admin, email=ADMIN).status_code == 303
    csrf = csrf_from(admin.get("/settings").text)
    admin.post("/settings/feed-token", data={"action": "revoke", "csrf_token": csrf})
    admin.cookies.clear()
    assert admin.get(f"/metrics?token={admin_token}").status_code == 401
    revoked = admin.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}, follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == "/login"  # as any unknown bearer


# Source kinds ----------------------------------------------------------------------------


def test_a_source_of_kind_auto_shows_what_was_detected_and_never_polled_until_polled(admin, settings):
    with FeedServer() as server:
        server.routes["/atom"] = Route(feed_fixtures.atom_reposts(server.url("")), content_type="application/atom+xml")
        settings.config.write_text(feed_fixtures.config([server.url("/atom")]), encoding="utf-8")
        with db.session_scope() as session:
            sync_watchlist(session, watchlist=load_watchlist(settings.config))
        row = _source_row(admin.get("/sources").text)
        assert "auto (not polled yet)" in row and "never polled" in row
        poll_all_once()
    row = _source_row(admin.get("/sources").text)
    assert "atom (detected)" in row and ">ok<" in row and "never polled" not in row
    assert 'value="atom"' in admin.get("/review?state=all").text  # the kind filter offers what cards show


def _source_row(html: str) -> str:
    start = html.index('<tr id="source-')
    return html[start : html.index("</tr>", start)]


def test_a_card_does_not_repeat_its_title_as_the_snippet(reviewer):
    repeated = add_mention(
        guid="r", title="Vorontsov moved to SIZO-2", text="Vorontsov moved to SIZO-2. His lawyer was not told."
    )
    only_title = add_mention(
        guid="o", title="Vorontsov moved to SIZO-2", text="Vorontsov moved to SIZO-2", fetched_ago=timedelta(minutes=1)
    )
    page = reviewer.get("/review").text
    first, second = _card_html(page, repeated), _card_html(page, only_title)
    assert re.search(r'<p class="snippet">\s*His lawyer was not told\.', first)
    assert (
        '<p class="snippet">' not in second and "<mark>Vorontsov</mark> moved to SIZO-2" in second
    )  # the name stays marked
