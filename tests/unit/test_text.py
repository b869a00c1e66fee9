"""``monitor.text.clean_display``: bidi controls out, every other character kept in order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from monitor.text import BIDI_CONTROLS, clean_display

# Text rich in the controls, their neighbours in the table, and markup characters.
feed_text = st.text(
    alphabet=st.one_of(st.sampled_from(BIDI_CONTROLS + "\u200b\u200d\u2060\u202f<>&\"'"), st.characters()), max_size=200
)


@given(feed_text)
def test_it_removes_every_bidi_control_and_keeps_the_rest_in_order(text):
    cleaned = clean_display(text)
    assert not set(BIDI_CONTROLS) & set(cleaned)
    assert cleaned == "".join(c for c in text if c not in BIDI_CONTROLS)
    assert clean_display(cleaned) == cleaned


@given(feed_text)
def test_escaped_markup_stays_markup_and_stays_escaped(text):
    html = escape(text)
    cleaned = clean_display(html)
    assert isinstance(cleaned, Markup)
    assert cleaned == escape("".join(c for c in text if c not in BIDI_CONTROLS))


def test_the_characters_the_issue_names_are_all_covered():
    named = (
        [chr(c) for c in range(0x202A, 0x202F)]
        + [chr(c) for c in range(0x2066, 0x206A)]
        + ["\u200e", "\u200f", "\u061c"]
    )
    assert clean_display("a" + "".join(named) + "b") == "ab"
