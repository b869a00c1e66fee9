"""Canonical URL rules and platform identities, one case per rule."""

from __future__ import annotations

import base64

import pytest

from monitor.dedupe import canonical_url, global_identity


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host case, default ports, fragments, trailing slashes
        ("HTTPS://Example.ORG/News/1", "https://example.org/News/1"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a#top", "https://example.org/a"),
        ("https://example.org/a/b/", "https://example.org/a/b"),
        # www., m., mobile. and amp. hosts are the site itself
        ("https://www.example.org/a", "https://example.org/a"),
        ("https://m.example.org/a", "https://example.org/a"),
        ("https://mobile.example.org/a", "https://example.org/a"),
        ("https://amp.example.org/a", "https://example.org/a"),
        ("https://m.co/a", "https://m.co/a"),  # a two-label host keeps its name
        # the query is sorted and tracking parameters from the explicit list are dropped
        ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://example.org/a?utm_source=x&utm_campaign=y&id=3", "https://example.org/a?id=3"),
        ("https://example.org/a?fbclid=1&gclid=2&yclid=3&igshid=4&mc_cid=5&ref_src=twsrc", "https://example.org/a"),
        # not every parameter containing "ref": these can be content
        ("https://example.org/a?ref=v2&prefix=x&referrer_id=7", "https://example.org/a?prefix=x&ref=v2&referrer_id=7"),
        # AMP paths and caches
        ("https://example.org/news/1/amp", "https://example.org/news/1"),
        ("https://example.org/amp/news/1", "https://example.org/news/1"),
        ("https://example.org/news/1.amp.html", "https://example.org/news/1.html"),
        ("https://example.org/news/1?amp=1", "https://example.org/news/1"),
        ("https://www-example-org.cdn.ampproject.org/c/s/www.example.org/news/1", "https://example.org/news/1"),
        ("https://www.google.com/amp/s/example.org/news/1", "https://example.org/news/1"),
        # redirect wrappers whose target is in the URL
        (
            "https://news.google.com/news/url?url=https://www.example.org/n/1%3Futm_source%3Dgn",
            "https://example.org/n/1",
        ),
        ("https://www.google.com/url?q=https://example.org/n/1&sa=D&usg=x", "https://example.org/n/1"),
        (
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.org%2Fn%2F1%3Ffbclid%3Dx&h=AT0",
            "https://example.org/n/1",
        ),
        ("https://example.net/redirect?url=https%3A%2F%2Fexample.org%2Fn%2F1", "https://example.org/n/1"),
        ("https://example.net/away?u=https://example.org/n/1", "https://example.org/n/1"),
        ("https://vk.com/away.php?to=https%3A%2F%2Fexample.org%2Fn%2F1&cc_key=", "https://example.org/n/1"),
        ("https://out.reddit.com/t3_abc?url=https%3A%2F%2Fexample.org%2Fn%2F1&token=x", "https://example.org/n/1"),
    ],
)
def test_each_url_rule(url, expected):
    assert canonical_url(url) == expected


def google_news_id(target: str) -> str:
    """A Google News article id as its RSS links carry it: base64 of a message holding the URL."""
    url = target.encode()
    length = bytes([len(url)]) if len(url) < 128 else bytes([len(url) & 0x7F | 0x80, len(url) >> 7])
    return base64.urlsafe_b64encode(b"\x08\x13\x22" + length + url + b"\xd2\x01\x00").decode().rstrip("=")


def test_a_google_news_article_link_is_the_article_it_carries():
    short, long = "https://www.example.org/n/1?utm_source=gn", "https://example.org/" + "long-slug-" * 20
    assert (
        canonical_url(f"https://news.google.com/rss/articles/{google_news_id(short)}?oc=5") == "https://example.org/n/1"
    )
    assert canonical_url(f"https://news.google.com/articles/{google_news_id(long)}?hl=en&gl=US") == long


def test_a_google_news_id_without_the_url_inside_stays_as_it_is():
    opaque = "https://news.google.com/rss/articles/CBMiAU_yqLPdZ3Ym9nV0hzZ?oc=5"
    assert canonical_url(opaque) == opaque


def test_a_redirect_without_a_target_in_the_url_stays_as_it_is():
    assert canonical_url("https://t.co/AbC123") == "https://t.co/AbC123"
    assert (
        canonical_url("https://example.org/search?q=https://x.org")
        == "https://example.org/search?q=https%3A%2F%2Fx.org"
    )


@pytest.mark.parametrize(
    ("kind", "platform_id", "expected"),
    [
        ("mastodon", "https://mastodon.social/users/a/statuses/1", "https://mastodon.social/users/a/statuses/1"),
        ("bluesky", "at://did:plc:abc/app.bsky.feed.post/3k", "at://did:plc:abc/app.bsky.feed.post/3k"),
        ("reddit", "t3_1abcd", "reddit:t3_1abcd"),
        ("youtube", "yt:video:dQw4w9WgXcQ", "yt:video:dQw4w9WgXcQ"),
        ("telegram", "rights_channel/1234", "telegram:rights_channel/1234"),
        ("rss", "https://example.org/?p=42", "https://example.org/?p=42"),
        ("atom", "tag:example.org,2026:post-42", "tag:example.org,2026:post-42"),
        ("rss", "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"),
        # ids unique only inside one feed are no global identity
        ("rss", "42", None),
        ("jsonfeed", "7", None),
        ("rss", None, None),
    ],
)
def test_platform_identity(kind, platform_id, expected):
    assert global_identity(kind, platform_id) == expected
