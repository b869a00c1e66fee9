"""A matched item as the store takes it, for the poll and the streams alike."""

from __future__ import annotations

from monitor.core.storage import NewMention
from monitor.dedupe import canonical_url, fingerprint, global_identity
from monitor.ingest.language import language_of
from monitor.sources.base import Item


def new_mention(item: Item, people: dict[str, str]) -> NewMention:
    """``item`` naming ``people`` ({person: alias}); its platform identity makes a repost a sighting.

    Fingerprinting and language detection are CPU work: done here, in the fetch path, not in
    the writer's transaction."""
    return NewMention(
        guid=item.guid,
        url=item.url,
        canonical_url=canonical_url(item.url),
        title=item.title,
        text=item.text,
        author=item.author,
        published_at=item.published_at,
        people=people,
        identity=global_identity(item.kind, item.platform_id),
        reposted_by=item.reposted_by,
        language=language_of(item.lang, item.title, item.text),
        fingerprint=fingerprint(item.title, item.text),
    )
