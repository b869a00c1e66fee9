"""The ``[search.NAME]`` config tables: one per search provider, each off until enabled.

Pure: validated by ``monitor.core.config_file`` like every other table, errors one line each.
Credentials are never here (``MONITOR_VK_TOKEN``, ``MONITOR_YOUTUBE_KEY``, the Bluesky
account settings): the config file is often shared.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

from monitor.core.config_streams import instance_base

PROVIDERS = ("gdelt", "reddit", "bluesky", "mastodon", "vk", "youtube")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_COMMUNITY = re.compile(r"^-?\d{1,19}$")


class SearchEntry(BaseModel):
    """One ``[search.NAME]`` table; which keys apply to which provider is checked by ``problem``."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = False  # providers are off until an admin enables them
    url: StrictStr | None = None  # the provider's endpoint, for a mirror or a test server
    budget_per_minute: float | None = Field(default=None, gt=0, le=100_000)  # overrides the documented limit
    proxy: StrictStr | None = None  # "none", or http(s)/socks5 URL: overrides MONITOR_PROXY_URL
    instances: list[StrictStr] = []  # mastodon only
    communities: list[StrictStr] = []  # vk only: owner ids of public pages (-N) and users (N)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"bad URL {value!r}: expected http:// or https:// with a host")
        return value.strip().rstrip("/")

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() == "none":
            return None if value is None else "none"
        parts = urlsplit(value.strip())
        if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
            raise ValueError(f'bad proxy {value!r}: expected "none" or {", ".join(PROXY_SCHEMES)}://HOST:PORT')
        return value.strip()

    @field_validator("instances")
    @classmethod
    def _instances(cls, values: list[str]) -> list[str]:
        return [instance_base(v) for v in values]

    @field_validator("communities")
    @classmethod
    def _communities(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _COMMUNITY.match(value.strip()):
                raise ValueError(
                    f'bad community {value!r}: write its numeric owner id, e.g. "-12345" for a public page'
                )
        return [v.strip() for v in values]


def problem(name: str, entry: SearchEntry) -> str | None:
    """What is wrong with ``[search.NAME]`` beyond its types, as ``key: message``; None if fine."""
    if name not in PROVIDERS:
        return f"unknown search provider {name!r}; known: {', '.join(PROVIDERS)}"
    if entry.instances and name != "mastodon":
        return "instances: only [search.mastodon] takes this key"
    if entry.communities and name != "vk":
        return "communities: only [search.vk] takes this key"
    if name == "mastodon" and entry.enabled and not entry.instances:
        return 'instances: list the servers to search, e.g. instances = ["mastodon.social"]'
    return None
