"""The poll interval a feed asks for itself."""

from __future__ import annotations

import pytest

from monitor.sources import resolve_adapter
from monitor.sources.hints import min_interval_seconds

SY = 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("<ttl>60</ttl>", 3600),
        ("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>", 1800),
        ("<sy:updatePeriod>daily</sy:updatePeriod>", 86400),
        ("<ttl>30</ttl><sy:updatePeriod>hourly</sy:updatePeriod>", 3600),
        ("<sy:updatePeriod>fortnightly</sy:updatePeriod>", None),
        ("", None),
    ],
)
def test_it_reads_ttl_and_the_syndication_module(channel, expected):
    body = f'<?xml version="1.0"?><rss version="2.0" {SY}><channel><title>t</title>{channel}</channel></rss>'.encode()
    assert min_interval_seconds(body) == expected


def test_the_feed_adapters_pass_the_hint_on():
    body = (
        f'<?xml version="1.0"?><rss version="2.0" {SY}><channel><title>t</title><link>https://e.org/</link>'
        "<description>d</description><ttl>120</ttl><item><title>x</title><link>https://e.org/1</link></item></channel></rss>"
    ).encode()
    for kind in ("auto", "rss"):
        parsed = resolve_adapter(kind, "https://e.org/feed").parse(body, {"content-type": "application/rss+xml"}, "u")
        assert parsed.min_interval == 7200 and len(parsed.items) == 1
