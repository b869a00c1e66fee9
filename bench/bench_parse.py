"""Parse throughput: the lxml fast path against feedparser on generated RSS feeds.

Run by hand: ``.venv/bin/python bench/bench_parse.py [--feeds 1000] [--items 20]``.
Prints items per second for both paths (and checks they produced the same items).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from monitor.sources import rss

HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}


def make_feed(n: int, items: int) -> bytes:
    """One RSS 2.0 feed of ``items`` items with HTML descriptions, like a news site's."""
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    body = "".join(
        f"<item><title>Story {n}-{i}: Воронцов &amp; court</title><link>https://news{n}.example.org/{i}</link>"
        f"<guid>https://news{n}.example.org/{i}</guid><pubDate>{format_datetime(start + timedelta(minutes=i))}</pubDate>"
        f"<description><![CDATA[<p>Paragraph about <b>Vladimir Vorontsov</b> number {i}.</p><p>More text here.</p>]]></description></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://news{n}.example.org/</link><description>d</description>{body}</channel></rss>"
    ).encode()


def run(feeds: list[bytes], fast: bool) -> tuple[float, list]:
    began = time.perf_counter()
    results = [rss.parse(feed, HEADERS, "u", fast=fast) for feed in feeds]
    return time.perf_counter() - began, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    args = parser.parse_args()
    feeds = [make_feed(n, args.items) for n in range(args.feeds)]
    total = args.feeds * args.items
    fast_s, fast_items = run(feeds, fast=True)
    slow_s, slow_items = run(feeds, fast=False)
    print(f"{args.feeds} feeds x {args.items} items = {total} items")
    print(f"fast path (lxml): {total / fast_s:,.0f} items/s ({fast_s:.2f} s)")
    print(f"feedparser:       {total / slow_s:,.0f} items/s ({slow_s:.2f} s)")
    print(f"speed-up: {slow_s / fast_s:.1f}x; same items: {fast_items == slow_items}")


if __name__ == "__main__":
    main()
