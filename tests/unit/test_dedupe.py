"""Canonical URLs and story keys."""

from __future__ import annotations

import pytest

from monitor.dedupe import canonical_url, story_key


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.org/news/1?utm_source=tg&utm_medium=x&fbclid=abc", "https://example.org/news/1"),
        ("https://www.example.org:443/news/1/#comments", "https://example.org/news/1"),
        ("http://example.org:8080/a?b=2&a=1&gclid=z", "http://example.org:8080/a?a=1&b=2"),
        (
            "https://example.org/search?q=Воронцов&yclid=1",
            "https://example.org/search?q=%D0%92%D0%BE%D1%80%D0%BE%D0%BD%D1%86%D0%BE%D0%B2",
        ),
        ("https://example.org", "https://example.org/"),
    ],
)
def test_it_strips_tracking_and_normalises(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", [None, "", "mailto:a@b.c", "javascript:alert(1)", "http://[::1"])
def test_non_http_urls_have_no_canonical_form(url):
    assert canonical_url(url) is None


def test_story_key_ignores_case_punctuation_and_body():
    assert story_key("Vorontsov sentenced!", "one") == story_key("vorontsov — SENTENCED", "two")
    assert story_key("Vorontsov sentenced", "") != story_key("Vorontsov released", "")
    assert story_key("", "same opening text") == story_key("", "Same opening text.")


def test_a_long_post_has_one_bigint_key_per_band_and_a_short_post_none():
    from monitor.dedupe import fingerprint
    from monitor.dedupe.minhash import BANDS

    long = fingerprint("", " ".join(f"word{i}" for i in range(40)))
    assert len(long.bands()) == BANDS and all(0 <= key < 2**63 for key in long.bands())
    assert [key >> 59 for key in long.bands()] == list(range(BANDS))  # the band number in the top bits
    assert fingerprint("", "Free Vladimir Vorontsov now").bands() == ()


def test_a_copy_keeps_most_band_keys_of_its_original():
    from monitor.dedupe import fingerprint

    text = " ".join(f"word{i}" for i in range(120))
    original, copy = fingerprint("", text), fingerprint("", "Reposted: " + text[: len(text) * 9 // 10])
    assert len(set(original.bands()) & set(copy.bands())) >= len(original.bands()) // 2
