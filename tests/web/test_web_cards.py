"""What a card says about its story: how often and where it was seen, and its language — on
the page, in the filters, the JSON API and the exports. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlmodel import select

from monitor.core.models import Mention, Sighting, Source, utcnow
from tests.support.web import _cluster, _db, add_mention, cards_in

ATOM = {"a": "http://www.w3.org/2005/Atom"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _source_id(name: str) -> int:
    with _db() as session:
        found = session.exec(select(Source).where(Source.name == name)).first()
        if found is None:
            found = Source(url=f"https://{name.lower()}.example/feed", name=name)
            session.add(found)
            session.flush()
        return found.id


def _sightings(mention_id: int, *sources: str) -> None:
    with _db() as session:
        for name in sources:
            session.add(Sighting(mention_id=mention_id, source_id=_source_id(name), seen_at=utcnow()))


def _set_language(mention_id: int, language: str | None) -> None:
    with _db() as session:
        session.get(Mention, mention_id).language = language


def test_the_card_counts_every_sighting_of_every_copy_in_its_cluster(reviewer):
    first = add_mention(guid="a", source="Alpha", fetched_ago=timedelta(minutes=2))
    copy = add_mention(guid="b", source="Beta", title="Same story, other words")
    _cluster(first, copy)
    _sightings(first, "Alpha", "Gamma")  # stored from Alpha, boosted on Gamma
    _sightings(copy, "Beta", "Alpha")  # the copy: its own source, and Alpha again
    html = reviewer.get("/review").text
    assert cards_in(html) == [first]
    assert "seen 4 times on 3 sources" in html  # 2 mentions, not "2 copies"
    [card] = reviewer.get("/api/cards").json()["cards"]
    assert (card["copies"], card["copy_sources"]) == (4, 3)


def test_a_mention_without_sightings_counts_once_on_its_own_source(reviewer):
    lone = add_mention(guid="lone")
    seen_twice = add_mention(guid="twice", source="Alpha", fetched_ago=timedelta(minutes=1))
    _sightings(seen_twice, "Alpha", "Beta")
    html = reviewer.get("/review").text
    assert cards_in(html) == [lone, seen_twice]
    assert "seen 1 time on 1 source<" in html and "seen 2 times on 2 sources" in html


def test_language_is_shown_filtered_and_offered_from_what_is_stored(reviewer):
    russian = add_mention(guid="ru", text="Воронцов в суде")
    english = add_mention(guid="en", fetched_ago=timedelta(minutes=1))
    unknown = add_mention(guid="none", fetched_ago=timedelta(minutes=2))
    _set_language(russian, "ru")
    _set_language(english, "en")
    html = reviewer.get("/review").text
    assert cards_in(html) == [russian, english, unknown]
    menu = re.search(r'<select name="language".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="(\w*)"', menu) == ["", "en", "ru"]
    assert re.search(rf'id="mention-{russian}".*?<span class="language"[^>]*>ru</span>', html, re.S)
    assert cards_in(reviewer.get("/review?language=ru").text) == [russian]
    assert cards_in(reviewer.get("/review?language=EN").text) == [english]
    assert 'value="ru" selected' in reviewer.get("/review?language=ru").text
    assert reviewer.get("/review?language=r%3Cu").status_code == 400


def test_the_api_and_the_exports_carry_the_language(reviewer):
    russian = add_mention(guid="ru")
    other = add_mention(guid="x", fetched_ago=timedelta(minutes=1))
    _set_language(russian, "ru")
    cards = reviewer.get("/api/cards?language=ru").json()["cards"]
    assert [(c["mention"]["id"], c["mention"]["language"]) for c in cards] == [(russian, "ru")]
    assert {m["id"]: m["language"] for m in reviewer.get("/api/mentions").json()} == {russian: "ru", other: None}
    rows = list(csv.DictReader(io.StringIO(reviewer.get("/review/export.csv").text)))
    assert {int(r["id"]): r["language"] for r in rows} == {russian: "ru", other: ""}
    feed = ET.fromstring(reviewer.get("/review/export.atom?language=ru").content)
    [entry] = feed.findall("a:entry", ATOM)
    assert entry.get(XML_LANG) == "ru" and entry.find("a:id", ATOM).text.endswith(f":{russian}")


def test_the_count_stops_at_one_page_and_says_when_more_follow(reviewer):
    for n in range(3):
        add_mention(guid=f"g{n}", fetched_ago=timedelta(minutes=n))
    first = reviewer.get("/api/cards?limit=2").json()
    assert (len(first["cards"]), first["total"], first["total_is_capped"]) == (2, 2, True)
    second = reviewer.get("/api/cards", params={"limit": 2, "after": first["next_cursor"]}).json()
    assert (len(second["cards"]), second["total"], second["next_cursor"]) == (1, None, None)
    whole = reviewer.get("/api/cards?limit=5").json()
    assert (whole["total"], whole["total_is_capped"]) == (3, False)
    assert "<title>Review queue (3) ·" in reviewer.get("/review").text
