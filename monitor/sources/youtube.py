"""YouTube channel feeds (``/feeds/videos.xml?channel_id=UC…``): Atom, the 15 newest videos.

The key is ``yt:videoId``. The text is the video description (``media:description``).
YouTube has transient 404/500 outages: the poller must not disable a feed on one failure.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from monitor.sources import rss
from monitor.sources.base import Adapter, Item, Parsed, convert_each


class YouTubeAdapter(Adapter):
    """A YouTube channel (or playlist) video feed."""

    kind = "youtube"

    @classmethod
    def handles(cls, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.hostname or "").endswith("youtube.com") and parts.path == "/feeds/videos.xml"

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        feed = rss.read_feed(body, headers)

        def convert(entry) -> Item | None:
            item = rss.to_item(entry, kind=self.kind, lang=feed.lang)
            video_id = entry.extra.get("yt_videoid")
            if item and video_id:
                item.guid = item.platform_id = f"yt:video:{video_id}"
                item.url = item.url or f"https://www.youtube.com/watch?v={video_id}"
            return item

        return Parsed(convert_each(feed.entries, convert))
