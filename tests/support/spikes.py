"""A person with a burst in the last closed hour, recorded as the poller records spikes."""

from __future__ import annotations

from datetime import timedelta

from monitor.core.models import (
    Mention,
    MentionPerson,
    Person,
    Recipient,
    Source,
    utcnow,
)
from monitor.core.storage.spikes import floor_hour, update_spikes
from tests.support.web import _db

HOSTILE = "Verdict for <b>Vorontsov</b> <script>window.pwned=1</script>"


def make_spike(*, kinds=("rss", "telegram"), loud_count=16) -> dict:
    """A person with a quiet two days, then a burst in the last closed hour from every kind of source;
    spikes recorded as the poller records them. Returns ids and the burst's titles."""
    now = utcnow()
    burst = floor_hour(now) - timedelta(hours=1)
    with _db() as session:
        person = Person(name="Vladimir Vorontsov")
        sources = [Source(url=f"https://{kind}.example/feed", name=f"{kind} feed", kind=kind) for kind in kinds]
        session.add_all([person, *sources])
        session.add(Recipient(email="desk@example.org"))
        session.flush()
        quiet = [(sources[0], burst - timedelta(hours=h), f"Old story {h}") for h in range(3, 48, 3)]
        loud = [
            (sources[i % len(sources)], burst + timedelta(minutes=2 * i), f"{HOSTILE} #{i}") for i in range(loud_count)
        ]
        for n, (source, moment, title) in enumerate(quiet + loud):
            mention = Mention(
                source_id=source.id,
                guid=f"g{n}",
                title=title,
                url=f"https://example.org/{n}",
                published_at=moment,
                fetched_at=moment,
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id, alias="Vorontsov"))
        spikes = update_spikes(session, now=now)
        ids = {s.source_kind: s.id for s in spikes}
    return {"ids": ids, "main": ids[""], "loud": [t for _, _, t in loud], "quiet": [t for _, _, t in quiet]}
