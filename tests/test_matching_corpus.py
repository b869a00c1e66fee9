"""The matcher against a labelled corpus of posts in six languages (tests/matching_corpus/).

Each post lists the tracked people it names; the matcher is scored over (post, person)
pairs and must reach precision and recall of at least 0.97. Misses are printed so that a
failing run says which posts to look at.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from monitor.matching import Matcher
from monitor.watchlist import load_watchlist

CORPUS = Path(__file__).parent / "matching_corpus"
LANGUAGES = {"ru", "en", "uk", "be", "de", "pl"}


def load_posts() -> list[tuple[str, set[str], str]]:
    """(language, expected people, text) for each post in posts.txt."""
    posts = []
    for number, line in enumerate((CORPUS / "posts.txt").read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("# "):
            continue
        language, people, text = (part.strip() for part in line.split("|", 2))
        assert language in LANGUAGES, f"posts.txt:{number}: unknown language {language!r}"
        posts.append((language, set() if people == "-" else {p.strip() for p in people.split(",")}, text))
    return posts


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.from_watchlist(load_watchlist(CORPUS / "people.toml"))


def test_the_corpus_is_big_and_varied_enough():
    posts = load_posts()
    languages = Counter(language for language, _, _ in posts)
    assert len(posts) >= 150
    assert set(languages) == LANGUAGES and min(languages.values()) >= 8
    assert sum(1 for _, people, _ in posts if not people) >= 40  # near misses, not just hits


def test_every_labelled_person_is_in_the_watch_list(matcher):
    unknown = {p for _, people, _ in load_posts() for p in people} - set(matcher.names)
    assert unknown == set()


def test_precision_and_recall_over_post_person_pairs_reach_097(matcher):
    true_pos = false_pos = false_neg = 0
    misses = []
    for language, expected, text in load_posts():
        found = set(matcher.people_in(text))
        true_pos += len(found & expected)
        for person in found - expected:
            false_pos += 1
            misses.append(f"false positive [{language}] {person}: {text}")
        for person in expected - found:
            false_neg += 1
            misses.append(f"missed [{language}] {person}: {text}")
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    print(f"\ncorpus: {len(load_posts())} posts, precision {precision:.3f}, recall {recall:.3f}")
    print("\n".join(misses))
    assert precision >= 0.97 and recall >= 0.97, "\n".join(misses)


def test_every_span_in_the_corpus_is_text_the_alias_explains(matcher):
    for _, _, text in load_posts():
        for match in matcher.find(text):
            assert 0 <= match.start < match.end <= len(text)
            assert text[match.start : match.end].strip() == text[match.start : match.end]
            assert match.alias and match.form
