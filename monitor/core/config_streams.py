"""The ``[stream.NAME]`` config tables: ``bluesky`` (Jetstream) and ``mastodon`` (streaming).

Pure: validated by ``monitor.core.config_file`` like every other table, errors one line each.
An instance is a host (``mastodon.social``) or a base URL (``http://127.0.0.1:8765``
for a test server); tags are hashtags an admin chose to stream, which names them to that
instance, so there are none by default (the public timeline names nobody).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, field_validator

STREAMS = ("bluesky", "mastodon")
JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")
_TAG = re.compile(r"^\w+$")


class StreamEntry(BaseModel):
    """One ``[stream.NAME]`` table; which keys apply to which stream is checked by ``problem``."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = True
    url: StrictStr | None = None  # the stream's endpoint, for a mirror or a test server
    instances: list[StrictStr] = []  # mastodon only
    tags: list[StrictStr] = []  # mastodon only: hashtag timelines streamed besides the public one

    @field_validator("url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError(f"bad URL {value!r}: expected ws:// or wss:// with a host")
        return value.strip()

    @field_validator("instances")
    @classmethod
    def _instances(cls, values: list[str]) -> list[str]:
        return [instance_base(v) for v in values]

    @field_validator("tags")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        tags = [v.strip().lstrip("#") for v in values]
        for tag in tags:
            if not _TAG.match(tag):
                raise ValueError(f"bad hashtag {tag!r}: letters, digits and _ only")
        return tags


def instance_base(value: str) -> str:
    """``https://HOST`` for a bare host, the URL itself (no trailing slash) for http(s) URLs."""
    value = value.strip().rstrip("/")
    if "://" not in value:
        if not _HOST.match(value):
            raise ValueError(f"bad instance {value!r}: expected a host like mastodon.social")
        return f"https://{value.lower()}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ValueError(f"bad instance {value!r}: expected a host, or http(s)://HOST[:PORT]")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def problem(name: str, entry: StreamEntry) -> str | None:
    """What is wrong with ``[stream.NAME]`` beyond its types, as ``key: message``; None if fine."""
    if name not in STREAMS:
        return f"unknown stream {name!r}; known: {', '.join(STREAMS)}"
    if name == "bluesky" and (entry.instances or entry.tags):
        return f"{'instances' if entry.instances else 'tags'}: only [stream.mastodon] takes this key"
    if name == "mastodon" and entry.enabled and not entry.instances:
        return 'instances: list the servers to stream, e.g. instances = ["mastodon.social"]'
    if name == "mastodon" and entry.url and len(entry.instances) > 1:
        return "url: one streaming endpoint cannot serve several instances; list one instance with it"
    return None


@dataclass(frozen=True)
class StreamSpec:
    """One stream to consume: its source row (``url``, ``name``, ``kind``), where to connect,
    and for Mastodon the instance's base URL (REST fallback) and the chosen hashtags."""

    url: str
    name: str
    kind: str
    connect_url: str
    instance: str | None = None
    tags: tuple[str, ...] = ()


def specs(streams: dict[str, StreamEntry]) -> list[StreamSpec]:
    """The enabled streams of the config, one per Jetstream and one per Mastodon instance."""
    found = []
    bluesky = streams.get("bluesky")
    if bluesky and bluesky.enabled:
        url = bluesky.url or JETSTREAM_URL
        found.append(StreamSpec(url, "Bluesky Jetstream", "jetstream", url))
    mastodon = streams.get("mastodon")
    for instance in mastodon.instances if mastodon and mastodon.enabled else []:
        parts = urlsplit(instance)
        url = f"{'ws' if parts.scheme == 'http' else 'wss'}://{parts.netloc}/api/v1/streaming"
        found.append(
            StreamSpec(
                url,
                f"{parts.netloc} (Mastodon streaming)",
                "mastodon-stream",
                mastodon.url or url,
                instance,
                tuple(mastodon.tags),
            )
        )
    return found
