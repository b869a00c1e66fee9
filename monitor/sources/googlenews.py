"""Google News search feeds (``news.google.com/rss/search?q=…``): OFF by default, opt-in only.

The query itself tells Google who is being watched, and Google's terms allow personal,
non-commercial use; the monitor therefore never builds such a source by itself. A user who
accepts that adds one explicitly, e.g. with ``google_news_url(aliases, lang)``.

Titles read "Headline - Outlet"; ``<source url>`` names the outlet, which becomes the
item's ``author``; links are news.google.com redirects and are kept as given.
"""

from __future__ import annotations

from urllib.parse import quote_plus, urlsplit

from monitor.sources import rss
from monitor.sources.base import Adapter, Item, Parsed, convert_each

REGIONS = {"ru": "RU", "en": "US", "uk": "UA", "be": "BY", "kk": "KZ", "de": "DE", "fr": "FR"}


def google_news_url(aliases: list[str], lang: str = "en", *, window: str = "1d") -> str:
    """The search-feed URL for any of ``aliases`` in the last ``window``, in ``lang``'s edition.

    Opt-in: polling it reveals the watched names to Google. Nothing calls this by default.
    """
    names = [a.strip() for a in aliases if a.strip()]
    if not names:
        raise ValueError("google_news_url needs at least one alias")
    terms = " OR ".join(f'"{name}"' for name in names)
    query = f"({terms}) when:{window}" if len(names) > 1 else f"{terms} when:{window}"
    region = REGIONS.get(lang, lang.upper())
    return f"https://news.google.com/rss/search?q={quote_plus(query)}&hl={lang}&gl={region}&ceid={region}:{lang}"


def split_title(title: str, outlet: str | None) -> tuple[str, str | None]:
    """("Headline", "Outlet") from "Headline - Outlet"; the outlet from ``<source>`` wins."""
    head, sep, tail = title.rpartition(" - ")
    if not sep:
        return title, outlet
    if outlet and tail.strip() != outlet.strip():
        return title, outlet
    return head.strip(), outlet or tail.strip()


class GoogleNewsAdapter(Adapter):
    """A Google News search feed the user configured explicitly."""

    kind = "googlenews"

    @classmethod
    def handles(cls, url: str) -> bool:
        parts = urlsplit(url)
        return parts.hostname == "news.google.com" and parts.path.startswith("/rss")

    def parse(self, body: bytes, headers: dict[str, str], url: str) -> Parsed:
        feed = rss.read_feed(body, headers)

        def convert(entry) -> Item | None:
            item = rss.to_item(entry, kind=self.kind, lang=feed.lang)
            if item is not None:
                item.title, item.author = split_title(item.title, entry.extra.get("source_title"))
            return item

        return Parsed(convert_each(feed.entries, convert))
