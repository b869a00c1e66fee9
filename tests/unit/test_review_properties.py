"""Property-based tests of the queue page's parsers and writers: the Atom writer, the title
trimmer, the title highlighter, case-folded search (on a real SQLite), times, feed sniffing.

Bounded (``max_examples``, short texts): hostile input must never make a test run long.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from types import SimpleNamespace

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from monitor.core import textsearch as search
from monitor.sources.sniff import feed_format
from monitor.web.atom import ATOM_NS, atom_feed, xml_text
from monitor.web.review import without_title
from monitor.web.snippet import highlight_all
from monitor.web.timezones import local_time, zone_named

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOM = {"a": ATOM_NS}
# Any text at all, surrogates and control characters included: feed text is hostile.
ANY_TEXT = st.text(max_size=200)
SCRIPTS = st.text(alphabet=st.sampled_from("abcXYZ сизоСИЗО ΣΑσαß İi_%\\Ё ё 100"), max_size=40)


def _card(title: str, text: str, source: str, people: list[str]):
    mention = SimpleNamespace(
        id=7,
        title=title,
        text=text,
        url="https://example.org/a",
        language=None,
        published_at=None,
        fetched_at=datetime(2026, 3, 14, tzinfo=timezone.utc),
        label=None,
        review_state="unreviewed",
    )
    return SimpleNamespace(row=SimpleNamespace(mention=mention, source=source, people=people))


@BOUNDED
@given(title=ANY_TEXT, text=ANY_TEXT, source=ANY_TEXT, people=st.lists(ANY_TEXT, max_size=3))
def test_the_atom_writer_always_writes_a_feed_that_parses_back_to_the_same_text(title, text, source, people):
    document = atom_feed([_card(title, text, source, people)], title="t", feed_id="x")
    [entry] = ET.fromstring(document).findall("a:entry", ATOM)
    assert entry.find("a:title", ATOM).text == (xml_text(title).strip() or "(untitled)")
    assert (entry.find("a:summary", ATOM).text or "") == xml_text(text)
    assert [c.get("term") for c in entry.findall("a:category", ATOM)][:-1] == [xml_text(p) for p in people]


@BOUNDED
@given(title=ANY_TEXT, rest=ANY_TEXT)
def test_the_title_is_never_shown_twice_and_nothing_else_is_lost(title, rest):
    text = f"{title} {rest}"
    trimmed = without_title(text, title)
    if title.split():
        assert trimmed == rest.lstrip().lstrip(".:—–-").lstrip()
    else:
        assert trimmed == text
    assert without_title(rest, "") == rest and trimmed in text


@BOUNDED
@given(text=ANY_TEXT, data=st.data())
def test_the_highlighted_title_is_the_whole_title_escaped(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    marked = highlight_all(text, [(start, end)] if end > start else [])
    assert isinstance(marked, Markup)
    assert marked.replace("<mark>", "").replace("</mark>", "") == Markup.escape(text)


_ENGINE = sa.create_engine("sqlite://")
_TABLE = sa.Table("t", sa.MetaData(), sa.Column("v", sa.Text))
_TABLE.create(_ENGINE)


@BOUNDED
@given(text=SCRIPTS, data=st.data())
def test_search_finds_every_substring_in_either_case_on_sqlite(text, data):
    start = data.draw(st.integers(0, len(text)))
    needle = text[start : data.draw(st.integers(start, len(text)))]
    query = data.draw(st.sampled_from([needle, needle.lower(), needle.upper()]))
    if search.fold_case(query) != search.fold_case(needle):  # 'ß'.upper() is 'SS': another string, not a case
        return
    with _ENGINE.begin() as conn:
        conn.execute(_TABLE.delete())
        conn.execute(_TABLE.insert(), [{"v": text}, {"v": "unrelated"}])
        found = conn.execute(sa.select(_TABLE.c.v).where(search.contains(_TABLE.c.v, query))).scalars().all()
    assert text in found
    assert ("unrelated" in found) == (search.fold_case(query) in "unrelated")


@BOUNDED
@given(
    stamp=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(timezone.utc)),
    zone=st.sampled_from(["Europe/Moscow", "America/New_York", "Asia/Kathmandu", "UTC", "Australia/Lord_Howe"]),
)
def test_a_time_shows_local_with_its_utc_in_the_title(stamp, zone):
    shown = local_time(stamp, zone_named(zone))
    local = stamp.astimezone(zone_named(zone))
    assert f'title="{stamp:%Y-%m-%d %H:%M} UTC">{local:%Y-%m-%d %H:%M} ' in shown
    assert f'datetime="{stamp.isoformat()}"' in shown


@BOUNDED
@given(name=st.text(max_size=40))
def test_only_real_zone_names_are_accepted(name):
    zone = zone_named(name)
    assert zone is None or zone.key == name


@BOUNDED
@given(
    body=st.binary(max_size=300),
    kind=st.sampled_from(["auto", "rss", "mastodon"]),
    url_kind=st.sampled_from(["auto", "youtube"]),
)
def test_sniffing_names_a_known_kind_for_any_body(body, kind, url_kind):
    found = feed_format(body, kind=kind, url_kind=url_kind)
    assert found in {"jsonfeed", "atom", "rdf", "rss", "feed", "mastodon", "youtube"}
    assert kind == "auto" or found == kind


def test_sniffing_tells_the_feed_formats_apart():
    assert (
        feed_format(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', kind="auto", url_kind="auto")
        == "atom"
    )
    assert feed_format(b"<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='x'>", kind="auto", url_kind="auto") == "rdf"
    assert feed_format(b'<rss version="2.0"><channel>', kind="auto", url_kind="auto") == "rss"
    assert feed_format(b' {"version": "https://jsonfeed.org/version/1.1"}', kind="auto", url_kind="auto") == "jsonfeed"
    assert feed_format(b"<html>", kind="auto", url_kind="auto") == "feed"
