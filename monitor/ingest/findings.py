"""What one changed body yields: the adapter's entries matched against the watch list.

Parsed entries in, mentions and the facts the writer stores out; no database, no network.
The poller calls ``summarise`` in its own event loop or in a child process
(``monitor.ingest.parse_process``): either way the same ``Findings``, logged by the poller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor import sources
from monitor.core.storage import NewMention, storable
from monitor.ingest.new_mention import new_mention
from monitor.matching import Matcher
from monitor.sources.sniff import feed_format


class MatcherFailed(Exception):
    """The watch list's matcher could not be had: the batch fails, as it did when it was loaded first."""


@dataclass
class Findings:
    """One body's mentions and what the writer stores beside them."""

    mentions: list[NewMention] = field(default_factory=list)
    fetched: int = 0  # entries read
    unmatched: int = 0
    skipped: int = 0  # entries that could not be read or matched
    unreadable: str | None = None  # the first unreadable entry's error, for the log
    failures: list[str] = field(default_factory=list)  # error types of entries that could not be matched
    detected: str | None = None  # what a source of kind "auto" turned out to be (monitor.sources.sniff)
    cursor: str | None = None
    feed_hint: float | None = None


def summarise(parsed: sources.Parsed, body: bytes, *, kind: str, adapter_kind: str, matcher: Matcher) -> Findings:
    """``parsed`` (from ``body``, a source of ``kind`` read by the ``adapter_kind`` adapter) matched."""
    mentions, unmatched, failures = match_items(parsed.items, matcher)
    first_error = getattr(parsed.items, "first_error", None)
    return Findings(
        mentions=mentions,
        fetched=len(parsed.items),
        unmatched=unmatched,
        skipped=parsed.skipped + len(failures),
        unreadable=None if first_error is None else str(first_error),
        failures=failures,
        detected=feed_format(body, kind=kind, url_kind=adapter_kind),
        cursor=storable(parsed.cursor)[:1000] if parsed.cursor else None,  # feed-made text
        feed_hint=parsed.min_interval,
    )


def match_items(items: list[sources.Item], matcher: Matcher) -> tuple[list[NewMention], int, list[str]]:
    """(the matched items as mentions, how many named nobody, the error types of those that failed)."""
    mentions, unmatched, failures = [], 0, []
    for item in items:
        try:
            mention = _mention_if_matched(item, matcher)
        except Exception as exc:  # noqa: BLE001 - untrusted entry: it costs itself only
            failures.append(type(exc).__name__)
            continue
        if mention is None:
            unmatched += 1
        else:
            mentions.append(mention)
    return mentions, unmatched, failures


def _mention_if_matched(item: sources.Item, matcher: Matcher) -> NewMention | None:
    found = matcher.find(f"{item.title}\n{item.text}")
    if not found:
        return None
    people: dict[str, str] = {}
    for match in found:
        people.setdefault(match.person, match.alias)
    return new_mention(item, people)
