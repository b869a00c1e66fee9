"""Exclusion suggestions never propose a phrase holding a tracked person's full name, hashtag
or handle; each links to its mention, and the admin page shows the whole phrase."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core.models import ExclusionSuggestion
from monitor.matching import Matcher, PersonNames
from monitor.review.triage import names_someone
from monitor.review.users import add_user
from tests.support.web import PASSWORD, _db, act, add_mention, login

ADMIN = "admin@example.org"
VORONTSOV = PersonNames(
    "Vladimir Vorontsov", ("Владимир Воронцов", "Vorontsov", "Воронцов"), (), hashtags=("#FreeVorontsov",)
)
SOKOLOVA = PersonNames("Anna Sokolova", ("Анна Соколова", "Sokolova"), ())


def _suggestions() -> list[str]:
    with _db() as session:
        return [s.phrase for s in session.exec(select(ExclusionSuggestion).order_by(ExclusionSuggestion.id))]


def _admin(client):
    add_user(email=ADMIN, role="admin", password=PASSWORD)
    assert login(client, email=ADMIN).status_code == 303
    return client


def test_a_full_name_followed_by_a_word_is_never_suggested(client):
    admin = _admin(client)
    add_mention(guid="seed", alias="Vorontsov")  # the bare surname is an alias too
    mention_id = add_mention(
        guid="x",
        alias="Владимир Воронцов",
        text="Владимир Воронцов приговорён к семи годам. Экскурсии: Vorontsov Street, 5.",
    )
    act(admin, [mention_id], "label", "unrelated")
    assert _suggestions() == ["Vorontsov Street"]  # the surname beside a street name, not the sentencing


def test_a_hashtag_of_the_person_is_never_suggested(client):
    admin = _admin(client)
    add_mention(guid="seed", alias="#FreeVorontsov")
    mention_id = add_mention(guid="x", alias="Vorontsov", text="#FreeVorontsov today")
    act(admin, [mention_id], "label", "unrelated")
    assert _suggestions() == []


def test_the_admin_page_links_each_suggestion_to_its_mention_and_shows_the_whole_phrase(client):
    admin = _admin(client)
    long_word = "Вознесенско" + "воронцовская" * 6  # one word longer than a field shows
    mention_id = add_mention(
        guid="x", alias="Vorontsov", title="Palace tour", text=f"Tourists queue at Vorontsov {long_word} today."
    )
    act(admin, [mention_id], "label", "unrelated")
    [phrase] = _suggestions()
    assert phrase == f"Vorontsov {long_word}"
    page = admin.get("/admin/exclusions").text
    assert f'<q class="phrase">{phrase}</q>' in page
    size = int(re.search(r'name="phrase" value="[^"]*" aria-label="phrase" size="(\d+)"', page).group(1))
    assert size >= min(len(phrase), 60)
    link = f'href="/mentions/{mention_id}"'
    assert link in page
    opened = admin.get(f"/mentions/{mention_id}")
    assert opened.status_code == 200 and "Palace tour" in opened.text


@hsettings(max_examples=150, deadline=None)
@given(
    before=st.sampled_from(["", "Суд: ", "News — ", "(", "«"]),
    name=st.sampled_from(
        [
            "Владимир Воронцов",
            "Владимира Воронцова",
            "Владимиру Воронцову",
            "Vladimir Vorontsov",
            "#FreeVorontsov",
            "Анна Соколова",
            "Анну Соколову",
            "Anna Sokolova",
        ]
    ),
    after=st.text(alphabet="абвгдежзийклмнопрстуфхцчшщыьэюяabcxyz ", max_size=15),
)
def test_any_phrase_holding_a_full_name_form_names_someone(before, name, after):
    matcher = Matcher([VORONTSOV, SOKOLOVA])
    assert names_someone(matcher, f"{before}{name} {after}".strip())


@given(word=st.sampled_from(["Palace", "Street", "Lighthouse", "дворец", "улица"]))
def test_a_bare_surname_beside_a_word_can_still_be_suggested(word):
    assert not names_someone(Matcher([VORONTSOV, SOKOLOVA]), f"Vorontsov {word}")
