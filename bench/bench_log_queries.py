"""Cost of cutting query strings from log lines: the record factory against plain logging.

Run by hand: ``.venv/bin/python bench/bench_log_queries.py [--records 200000]``. Logs the
poller's and httpx's kind of lines (a URL with a query in the arguments and in ``extra``)
through the JSON formatter to a null stream, first as logging does by default (the naive
baseline), then with ``hide_query_strings`` installed, in the same process; prints records
per second for both, and checks that the second run's output holds no query.
"""

from __future__ import annotations

import argparse
import io
import logging
import time

from monitor.core.logs import JsonFormatter, hide_query_strings

URL = "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=Vladimir%20Vorontsov&limit=100"


def run(records: int) -> tuple[float, str]:
    """Records per second through one JSON handler, and the last line written."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("bench")
    log.handlers, log.propagate = [handler], False
    log.setLevel(logging.INFO)
    started = time.perf_counter()
    for n in range(records):
        if n % 2:
            log.info('HTTP Request: %s %s "%s %d %s"', "GET", URL, "HTTP/1.1", 200, "OK")
        else:
            log.info("polled source", extra={"source_id": n, "url": URL, "new": 3})
    rate = records / (time.perf_counter() - started)
    return rate, out.getvalue().rsplit("\n", 2)[-2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    baseline, _ = run(args.records)
    hide_query_strings()
    cut, last = run(args.records)
    assert "Vorontsov" not in last, last
    print(f"{args.records} records, JSON lines, half with a query in the message, half in extra")
    print(f"  logging as is (baseline):  {baseline:10,.0f} records/s")
    print(f"  query strings cut:         {cut:10,.0f} records/s  ({cut / baseline:.2f}x)")


if __name__ == "__main__":
    main()
