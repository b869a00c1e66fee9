"""A post's identity across its whole platform. Pure.

Adapters put the platform's own id in ``Item.platform_id``: Mastodon ``uri``, Bluesky
``at://`` uri, Reddit ``name`` (``t3_…``), YouTube ``yt:video:ID``, Telegram ``data-post``
(``channel/123``), RSS guid / Atom id, JSON Feed ``id``. A boost, reblog or forward carries
its original's id, so storing by this identity makes it a sighting of the original.

Ids that are only unique inside one feed (an RSS guid ``"42"``, a JSON Feed id ``"7"``) are
no global identity: two feeds may both have a post 42.
"""

from __future__ import annotations

import re

# Kinds whose ids are unique platform-wide even when they carry no scheme.
PLATFORM_KINDS = frozenset({"mastodon", "bluesky", "reddit", "youtube", "telegram"})
_ABSOLUTE = re.compile(r"^(?:https?://[^/\s]+/\S+|at://\S+|urn:\S+|tag:\S+,\S+|yt:video:\S+)$", re.IGNORECASE)


def global_identity(kind: str | None, platform_id: str | None) -> str | None:
    """The platform-wide identity of a post, or None when its id is only unique per feed."""
    if not platform_id:
        return None
    value = platform_id.strip()
    if _ABSOLUTE.match(value):
        return value
    if kind in PLATFORM_KINDS:
        return f"{kind}:{value}"
    return None
