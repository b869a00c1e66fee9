"""The daily digest: one email per recipient summarising a local day's mentions and spikes.

A digest covers one calendar day in the recipient's timezone (``[[recipient]] timezone``,
else ``[digest] timezone``): the mentions whose ``published_at`` (or ``fetched_at`` when
the feed gave no date) fall in that day, of the people the recipient follows, except
dismissed ones. It leads with the day's spikes, then each person with mentions: the
count against the previous day and the 7-day average, a volume chart, the top stories
with copy counts, solidarity highlights, confirmed vs unreviewed counts; then the people
with no new mentions and the sources that failed or went silent.

    stats.py     aggregate SQL over every person for one local day (runs once per day+zone)
    content.py   Digest, the slice one recipient sees
    message.py   the email: templates, headers, unsubscribe tokens
    chat.py      the digest as a short text for the recipient's Apprise channels (digest_to "notify")
    delivery.py  claim → build → send → record, once per (recipient, day, channel), with backoff
"""

from monitor.notify.digest.content import Digest, DigestBuilder, PersonSection
from monitor.notify.digest.delivery import (
    active_recipients,
    claim,
    due_day,
    retry_delay,
    send_digests,
    send_due_digests,
    yesterday,
    zone_of,
)
from monitor.notify.digest.message import links, read_unsubscribe_token, render_message, unsubscribe_token
from monitor.notify.digest.stats import Post, SourceLine, SpikeLine, day_bounds

__all__ = [
    "Digest",
    "DigestBuilder",
    "PersonSection",
    "Post",
    "SourceLine",
    "SpikeLine",
    "active_recipients",
    "claim",
    "day_bounds",
    "due_day",
    "links",
    "read_unsubscribe_token",
    "render_message",
    "retry_delay",
    "send_digests",
    "send_due_digests",
    "unsubscribe_token",
    "yesterday",
    "zone_of",
]
