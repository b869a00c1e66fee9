"""OPML import/export: round trip, escaping, folders, and hostile documents refused."""

from __future__ import annotations

import pytest

from monitor.core.config_file import SourceEntry
from monitor.sources.opml import OpmlError, export_opml, import_opml

FEEDREADER_OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Subscriptions</title></head><body>
  <outline text="News" title="News">
    <outline type="rss" text="Example News" title="Example News" xmlUrl="https://news.example.org/feed.xml" htmlUrl="https://news.example.org/"/>
    <outline type="rss" text="dup" xmlUrl="https://news.example.org/feed.xml"/>
  </outline>
  <outline type="rss" text="Channel" xmlUrl="https://t.me/s/fictionalchan"/>
  <outline type="link" text="Not a feed" url="https://example.org/"/>
  <outline type="rss" text="Local file" xmlUrl="file:///etc/passwd"/>
</body></opml>"""


def test_it_imports_feed_outlines_from_folders_once_each_and_skips_non_http_urls():
    assert import_opml(FEEDREADER_OPML) == [
        {"url": "https://news.example.org/feed.xml", "kind": "auto", "name": "Example News"},
        {"url": "https://t.me/s/fictionalchan", "kind": "auto", "name": "Channel"},
    ]


def test_an_export_imports_back_to_the_same_sources_with_markup_in_names_escaped():
    sources = [
        SourceEntry(url="https://news.example.org/feed.xml?a=1&b=2", name='News <&> "Quotes"'),
        SourceEntry(url="https://example.social/tags/vorontsov.rss", kind="mastodon"),
        {"url": "https://t.me/s/fictionalchan", "name": "Канал", "kind": "telegram"},
    ]
    text = export_opml(sources)
    assert "a=1&amp;b=2" in text and "&lt;&amp;&gt;" in text
    assert import_opml(text) == [
        {"url": "https://news.example.org/feed.xml?a=1&b=2", "kind": "auto", "name": 'News <&> "Quotes"'},
        {
            "url": "https://example.social/tags/vorontsov.rss",
            "kind": "mastodon",
            "name": "https://example.social/tags/vorontsov.rss",
        },
        {"url": "https://t.me/s/fictionalchan", "kind": "telegram", "name": "Канал"},
    ]
    assert all(SourceEntry(**entry).url for entry in import_opml(text))


def test_an_external_entity_is_refused_and_the_file_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>
<opml version="2.0"><body><outline text="x" xmlUrl="https://a.example.org/feed">&xxe;</outline></body></opml>"""
    with pytest.raises(OpmlError, match="DOCTYPE is refused") as error:
        import_opml(hostile)
    assert "TOP-SECRET" not in str(error.value)


def test_an_entity_expansion_bomb_is_refused():
    bomb = """<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<opml version="2.0"><body><outline text="&b;" xmlUrl="https://a.example.org/feed"/></body></opml>"""
    with pytest.raises(OpmlError):
        import_opml(bomb)


def test_a_document_that_is_not_opml_is_a_one_line_error():
    with pytest.raises(OpmlError, match="not an OPML document"):
        import_opml("<rss version='2.0'><channel/></rss>")
    with pytest.raises(OpmlError, match="not well-formed"):
        import_opml("<opml><body>")
