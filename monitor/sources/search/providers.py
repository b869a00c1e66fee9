"""The provider registry: name → module, and what the runner and planner ask of each.

A provider module has ``NAME``, ``DEFAULT_URL``, ``DOCUMENTED_PER_MINUTE``, ``requests(target,
cursor, …)`` and ``parse(body, request)``. Adding a provider is one module and one line here.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from monitor.sources.search import bluesky, gdelt, mastodon, reddit, vk, youtube
from monitor.sources.search.base import SearchRequest, Target

MODULES: dict[str, ModuleType] = {m.NAME: m for m in (gdelt, reddit, bluesky, mastodon, vk, youtube)}
SOURCE_PREFIX = "search:"
SOURCE_ORIGIN = "search"
# How often one person is searched at most, whatever the budget: GDELT updates every 15 min,
# and no platform gains from a tighter loop on one name.
MIN_INTERVAL_SECONDS = 15 * 60

if TYPE_CHECKING:  # the config tables sit above the adapters; an entry is only passed in
    from monitor.core.config_search import SearchEntry


def source_url(name: str) -> str:
    """The ``Source.url`` of a provider's row, e.g. ``search:gdelt``."""
    return f"{SOURCE_PREFIX}{name}"


def per_minute(name: str, entry: SearchEntry) -> float:
    """The provider's request budget: ``budget_per_minute``, else its documented limit
    (Mastodon's is per instance, so it grows with the instances listed)."""
    if entry.budget_per_minute:
        return entry.budget_per_minute
    documented = MODULES[name].DOCUMENTED_PER_MINUTE
    return documented * max(1, len(entry.instances)) if name == "mastodon" else documented


def base_url(name: str, entry: SearchEntry, settings) -> str:
    """Where the provider is asked: the table's ``url``, else its public endpoint."""
    if entry.url:
        return entry.url
    if name == "bluesky":
        return bluesky.base_url(settings)
    return MODULES[name].DEFAULT_URL or ""


def requests_for(
    name: str, target: Target, cursor: dict[str, str], *, entry: SearchEntry, settings, now
) -> list[SearchRequest]:
    """The provider's requests for one target (``SearchError`` when credentials are missing)."""
    return MODULES[name].requests(
        target, cursor, base_url=base_url(name, entry, settings), settings=settings, now=now, instances=entry.instances
    )


def cost(name: str, target: Target, entry: SearchEntry) -> int:
    """Requests one search of ``target`` takes, without building them (no credentials needed)."""
    if target.community:
        return 1
    if name == "mastodon":
        return len(entry.instances) * len(mastodon.tags(target))
    if name in ("bluesky", "vk"):
        return min(len(target.names), MODULES[name].MAX_NAMES)
    return 1 if target.names else 0
