"""The generic feed adapter: RSS, Atom, RDF or JSON Feed, told apart by the response."""

from __future__ import annotations

from monitor.sources import jsonfeed
from monitor.sources.base import Adapter, Parsed, header
from monitor.sources.rss import RssAdapter


class FeedAdapter(Adapter):
    """``kind = "auto"`` for a URL no platform adapter claims: detects the format from the body."""

    kind = "auto"

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        if jsonfeed.looks_like(body, header(headers, "content-type").lower()):
            return Parsed(jsonfeed.parse(body, url))
        return RssAdapter().parse(body, headers, url)
