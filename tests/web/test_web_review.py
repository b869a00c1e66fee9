"""Triage through HTTP: cards per cluster, labels and states, audit, bulk, filters, search,
keyset pages, exclusion suggestions, person and sources pages, exports. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlmodel import select

from monitor.core.models import (
    Alias,
    AuditEntry,
    ExclusionSuggestion,
    Mention,
    Person,
    Source,
    Spike,
    utcnow,
)
from monitor.review.cues import suggest_label
from monitor.review.users import add_user
from tests.support.web import (
    ADMIN,
    PASSWORD,
    _cluster,
    _db,
    act,
    add_mention,
    cards_in,
    csrf_from,
    login,
    mention,
    status_of,
)


def test_a_cluster_shows_as_one_card_with_its_copies(reviewer):
    first = add_mention(guid="a", title="Story", fetched_ago=timedelta(minutes=3))
    second = add_mention(guid="b", source="Other Wire", title="Story copy", fetched_ago=timedelta(minutes=2))
    third = add_mention(guid="c", title="Story again", fetched_ago=timedelta(minutes=1))
    alone = add_mention(guid="d", title="Unrelated story")
    _cluster(first, second, third)
    html = reviewer.get("/review").text
    assert cards_in(html) == [alone, first]
    assert "seen 3 times on 2 sources" in html


def test_labelling_a_card_labels_the_whole_cluster_and_maps_status(reviewer):
    a, b = add_mention(guid="a"), add_mention(guid="b")
    _cluster(a, b)
    response = act(reviewer, [a], "label", "solidarity", fetch=True)
    assert response.status_code == 200
    assert {m["id"] for m in response.json()["changed"]} == {a, b}
    for mention_id in (a, b):
        m = mention(mention_id)
        assert (m.label, m.review_state, m.status) == ("solidarity", "reviewed", "confirmed")
    assert cards_in(reviewer.get("/review").text) == []
    assert cards_in(reviewer.get("/review?state=reviewed").text) == [a]


def test_unrelated_dismisses_and_files_an_exclusion_suggestion(reviewer):
    mention_id = add_mention(text="Tourists queue at Vorontsov Palace today.", alias="Vorontsov")
    assert act(reviewer, [mention_id], "label", "unrelated").status_code == 303
    assert status_of(mention_id) == "dismissed"
    with _db() as session:
        [suggestion] = session.exec(select(ExclusionSuggestion)).all()
    assert (suggestion.phrase, suggestion.status) == ("Vorontsov Palace", "pending")


def test_an_admin_accepts_an_exclusion_suggestion_which_becomes_an_exclude(client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    mention_id = add_mention(text="Tourists queue at Vorontsov Palace today.", alias="Vorontsov")
    assert login(client, email=ADMIN).status_code == 303
    act(client, [mention_id], "label", "unrelated")
    page = client.get("/admin/exclusions").text
    assert "Vorontsov Palace" in page
    suggestion_id = int(re.search(r'id="exclusion-(\d+)"', page).group(1))
    response = client.post(
        f"/admin/exclusions/{suggestion_id}",
        data={"csrf_token": csrf_from(page), "decision": "accept", "phrase": "Vorontsov Palace"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with _db() as session:
        assert session.exec(select(Alias).where(Alias.kind == "exclude")).one().text == "Vorontsov Palace"
        assert session.exec(select(ExclusionSuggestion)).one().status == "accepted"
    assert "Vorontsov Palace" not in client.get("/admin/exclusions").text


def test_escalate_assign_and_note_are_audited_with_before_and_after(client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    mention_id = add_mention()
    assert login(client, email=ADMIN).status_code == 303
    act(client, [mention_id], "escalate")
    act(client, [mention_id], "note", "call the lawyer")
    act(client, [mention_id], "assign")
    m = mention(mention_id)
    assert (m.review_state, m.status, m.note) == ("escalated", "confirmed", "call the lawyer")
    assert m.assigned_to is not None
    with _db() as session:
        entries = session.exec(
            select(AuditEntry).where(~AuditEntry.target.startswith("signin:")).order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == ["escalate", "note", "assign"]
    assert entries[0].before["review_state"] == "unreviewed" and entries[0].after["review_state"] == "escalated"
    assert entries[1].before["note"] is None and entries[1].after["note"] == "call the lawyer"
    log = client.get("/admin/audit").text
    assert ADMIN in log and "escalate" in log and f"mention:{mention_id}" in log and "call the lawyer" in log
    # Labelling an escalated card keeps it escalated.
    act(client, [mention_id], "label", "hostile")
    assert (mention(mention_id).review_state, mention(mention_id).label) == ("escalated", "hostile")


def test_bulk_labels_a_selection(reviewer):
    ids = [add_mention(guid=f"g{n}") for n in range(3)]
    keep = add_mention(guid="keep")
    token = csrf_from(reviewer.get("/review").text)
    response = reviewer.post(
        "/review/act",
        data={"csrf_token": token, "action": "label", "value": "news", "ids": ids},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert [mention(i).label for i in ids] == ["news"] * 3 and mention(keep).label is None


def test_a_bad_label_or_action_is_rejected(reviewer):
    mention_id = add_mention()
    assert act(reviewer, [mention_id], "label", "spam").status_code == 400
    assert act(reviewer, [mention_id], "delete").status_code == 400
    assert act(reviewer, [999], "escalate").status_code == 404
    assert status_of(mention_id) == "new"


def test_filters_and_search(reviewer):
    a = add_mention(guid="a", text="Vorontsov in court", person="Vladimir Vorontsov", alias="Vorontsov")
    b = add_mention(guid="b", text="Petrova free now 100% sure", person="Anna Petrova", alias="Petrova", source="Wire")
    c = add_mention(guid="c", text="Old Vorontsov story", fetched_ago=timedelta(days=10))
    with _db() as session:
        petrova = session.exec(select(Person).where(Person.name == "Anna Petrova")).one().id
        session.exec(select(Source).where(Source.name == "Wire")).one().kind = "mastodon"
    act(reviewer, [a], "label", "news")
    assert cards_in(reviewer.get(f"/review?person={petrova}").text) == [b]
    assert cards_in(reviewer.get("/review?kind=mastodon").text) == [b]
    assert cards_in(reviewer.get("/review?state=all&label=news").text) == [a]
    assert cards_in(reviewer.get("/review?state=reviewed").text) == [a]
    assert cards_in(reviewer.get("/review?q=100%25").text) == [b]
    assert cards_in(reviewer.get("/review?q=STORY").text) == [c]
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    until = (utcnow() - timedelta(days=5)).date().isoformat()
    assert cards_in(reviewer.get(f"/review?state=all&since={since}").text) == [b, a]
    assert cards_in(reviewer.get(f"/review?state=all&until={until}").text) == [c]
    assert reviewer.get("/review?state=bogus").status_code == 400


def test_the_card_shows_a_suggested_label_without_applying_it(reviewer):
    mention_id = add_mention(text="We stand with Vorontsov #FreeVorontsov")
    html = reviewer.get("/review").text
    assert "suggested: solidarity" in html
    assert mention(mention_id).label is None and status_of(mention_id) == "new"


@pytest.mark.parametrize(
    "text, label",
    [
        ("#FreeVorontsov now", "solidarity"),
        ("Свободу Воронцову!", "solidarity"),
        ("Мы солидарны", "solidarity"),
        ("I stand with him", "solidarity"),
        ("support the family", "solidarity"),
        ("Freedom for Vorontsov", "solidarity"),
        ("У здания суда собрались сторонники Воронцова", "solidarity"),
        ("СОЛІДАРНІСТЬ з Воронцовим", "solidarity"),
        ("Підтримаймо Воронцова", "solidarity"),
        ("Прихильники Воронцова зібралися біля суду", "solidarity"),
        ("Свободу Воронцову!", "solidarity"),
        ("Воронцов — зрадник", "hostile"),
        ("Воронцова назвали терористом", "hostile"),
        ("Суд оголосив вирок Воронцову", "news"),
        ("Засідання у справі Воронцова перенесли", "news"),
        ("The weather is fine", None),
        ("Погода сьогодні гарна", None),
    ],
)
def test_cue_phrases_suggest_a_label(text, label):
    found = suggest_label(text)
    assert (found[0] if found else None) == label


def test_the_person_page_has_a_volume_chart_with_spikes_marked(reviewer):
    add_mention(guid="a")
    add_mention(guid="b", fetched_ago=timedelta(days=2))
    with _db() as session:
        person = session.exec(select(Person)).one()
        hour = utcnow().replace(minute=0, second=0, microsecond=0)
        session.add(Spike(person_id=person.id, hour=hour, count=9, expected=1.0, score=5.0, detected_at=utcnow()))
        person_id = person.id
    html = reviewer.get(f"/people/{person_id}").text
    assert "<svg" in html and html.count('class="bar spike"') == 1 and 'class="spike-marker"' in html
    assert "Vorontsov" in html and "Recent stories" in html
    assert reviewer.get("/people/999").status_code == 404
    assert f'href="/people/{person_id}"' in reviewer.get("/people").text


def test_the_sources_page_shows_health_and_the_silent_flag(client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    add_mention()
    with _db() as session:
        source = session.exec(select(Source)).one()
        source.last_error, source.last_error_at = "HTTP 503 from example", utcnow()
        source.items_last_poll, source.interval_seconds = 17, 60
        source.last_new_at = utcnow() - timedelta(days=30)
    assert login(client, email=ADMIN).status_code == 303
    html = client.get("/sources").text
    assert "HTTP 503 from example" in html and "<td>17</td>" in html and "went silent" in html


def test_export_csv_and_atom_follow_the_filter(reviewer):
    a = add_mention(guid="a", title="=HYPERLINK(evil)", text="Vorontsov <b>bold</b>")
    add_mention(guid="b", title="Other")
    act(reviewer, [a], "label", "hostile")
    rows = list(csv.DictReader(io.StringIO(reviewer.get("/review/export.csv?state=all&label=hostile").text)))
    assert [(int(r["id"]), r["label"], r["people"]) for r in rows] == [(a, "hostile", "Vladimir Vorontsov")]
    assert rows[0]["title"] == "'=HYPERLINK(evil)"  # no formula injection into spreadsheets
    response = reviewer.get("/review/export.atom?state=all&label=hostile")
    assert response.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(response.content).findall("a:entry", ns)
    assert len(entries) == 1 and entries[0].find("a:summary", ns).text == "Vorontsov <b>bold</b>"


def test_a_late_copy_of_a_reviewed_story_comes_back_as_its_own_card(reviewer):
    first = add_mention(guid="a", fetched_ago=timedelta(minutes=5))
    cluster_id = _cluster(first)
    act(reviewer, [first], "label", "news")
    late = add_mention(guid="late")
    with _db() as session:
        session.get(Mention, late).cluster_id = cluster_id
    html = reviewer.get("/review").text
    assert cards_in(html) == [late] and "seen 2 times on 1 source<" in html


def test_empty_filter_fields_from_the_form_are_ignored(reviewer):
    mention_id = add_mention()
    html = reviewer.get("/review?q=&state=unreviewed&person=&kind=&label=&since=&until=").text
    assert cards_in(html) == [mention_id]
    assert reviewer.get("/review?person=abc").status_code == 400
    assert reviewer.get("/review?since=yesterday").status_code == 400


def test_the_bulk_form_labels_and_assigns_a_selection(reviewer):
    ids = [add_mention(guid=f"g{n}") for n in range(2)]
    html = reviewer.get("/review").text
    assert 'value="label:hostile"' in html
    user_id = re.search(r'<option value="(\d+)" selected>', html).group(1)
    token = csrf_from(html)
    for action in ("label:hostile", "assign"):
        response = reviewer.post(
            "/review/act",
            data={"csrf_token": token, "action": action, "value": user_id, "ids": ids},
            follow_redirects=False,
        )
        assert response.status_code == 303
    assert [(mention(i).label, mention(i).assigned_to) for i in ids] == [("hostile", int(user_id))] * 2


def test_the_api_lists_cards_and_acts_on_them(reviewer):
    a, b = add_mention(guid="a"), add_mention(guid="b", fetched_ago=timedelta(minutes=1))
    _cluster(a, b)
    page = reviewer.get("/api/cards?state=unreviewed&limit=10").json()
    assert [(c["mention"]["id"], c["copies"]) for c in page["cards"]] == [(a, 2)] and page["next_cursor"] is None
    token = reviewer.get("/api/me").json()["csrf_token"]
    assert reviewer.post("/api/cards/act", json={"ids": [a], "action": "escalate"}).status_code == 403
    response = reviewer.post(
        "/api/cards/act", json={"ids": [a], "action": "label", "value": "news"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 200 and {m["id"] for m in response.json()} == {a, b}
    assert reviewer.get("/api/cards").json()["cards"] == []
    assert {"/api/cards", "/api/cards/act"} <= set(reviewer.get("/openapi.json").json()["paths"])


def test_an_action_returns_to_the_same_filtered_queue_and_never_elsewhere(reviewer):
    mention_id = add_mention()
    token = csrf_from(reviewer.get("/review?q=court").text)
    for back, expected in (
        ("/review?q=court", "/review?q=court"),
        ("https://evil.example/", "/review"),
        ("//evil.example/review", "/review"),
    ):
        response = reviewer.post(
            "/review/act",
            data={"csrf_token": token, "action": "note", "value": "x", "ids": [mention_id], "back": back},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected


def test_assigning_to_an_unknown_user_is_rejected(reviewer):
    mention_id = add_mention()
    assert act(reviewer, [mention_id], "assign", "999").status_code == 400
    assert mention(mention_id).assigned_to is None


def test_the_spike_filter_keeps_mentions_seen_during_a_spike(reviewer):
    during = add_mention(guid="during")
    before = add_mention(guid="before", fetched_ago=timedelta(hours=5))
    with _db() as session:
        person = session.exec(select(Person)).one()
        hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        session.add(
            Spike(
                person_id=person.id,
                hour=hour,
                end_at=hour + timedelta(hours=1),
                count=9,
                expected=1.0,
                score=5.0,
                detected_at=utcnow(),
            )
        )
    assert cards_in(reviewer.get("/review?spike=1").text) == [during]
    assert cards_in(reviewer.get("/review").text) == [during, before]
    assert "spike=1" in reviewer.get("/review?spike=1").text  # kept in the export and next-page links
