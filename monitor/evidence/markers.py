"""A platform's own "removed" page: a post that is gone though the server answers 200.

Markers are matched only on the platform's hosts (Telegram, Bluesky, Reddit, YouTube) or on a
page built by the platform's own software (Mastodon servers have any name; Telegram previews
are mirrored): an article that
merely quotes "post not found" is not taken for a deletion. Hand-written: the auto-archiver
keeps similar per-platform lists inside its archivers, not as a library.
"""

from __future__ import annotations

from urllib.parse import urlsplit

TELEGRAM = ("tgme_widget_message_error", "post not found", "channel is private")
BLUESKY = ("post not found", "this post has been deleted", "account has been suspended", "notfound")
REDDIT = (
    "[removed]",
    "[deleted]",
    "this post was removed",
    "sorry, this post was deleted",
    "this post has been removed",
    "this account has been suspended",
    "sorry, nobody on reddit goes by that name",
)
YOUTUBE = (
    "this video has been removed",
    "video unavailable",
    "this video is no longer available",
    "account associated with this video has been terminated",
    "this video isn't available anymore",
)
MASTODON = (
    "this account has been suspended",
    "this resource has been deleted",
    "the page you are looking for isn't here",
    "account suspended",
)
HOSTS = {
    "t.me": TELEGRAM,
    "telegram.me": TELEGRAM,
    "bsky.app": BLUESKY,
    "reddit.com": REDDIT,
    "youtube.com": YOUTUBE,
    "youtu.be": YOUTUBE,
}
TELEGRAM_SIGNS = ("tgme_page", "tgme_widget", "telegram.org/css")
MASTODON_SIGNS = ('id="mastodon"', 'content="mastodon"', "mastodon.social", "/packs/", "joinmastodon.org")
READ_CHARS = 200_000  # markers sit in the page's first part; a huge page is not read whole


def removal_marker(url: str, body: bytes) -> str | None:
    """The marker of a platform's removed/suspended page found in ``body``, or None."""
    text = body[:READ_CHARS].decode("utf-8", "replace").lower()
    for marker in _markers_for(url, text):
        if marker in text:
            return marker
    return None


def _markers_for(url: str, text: str) -> tuple[str, ...]:
    host = (urlsplit(url).hostname or "").lower()
    for name, markers in HOSTS.items():
        if host == name or host.endswith("." + name):
            return markers
    for signs, markers in ((TELEGRAM_SIGNS, TELEGRAM), (MASTODON_SIGNS, MASTODON)):  # mirrors, instances
        if any(sign in text for sign in signs):
            return markers
    return ()
