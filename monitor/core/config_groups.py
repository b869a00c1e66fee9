"""Group names as the config file, the CLI and the person form accept them (issue 20)."""

from __future__ import annotations

from collections.abc import Iterable

MAX_GROUP_NAME = 100


def clean_names(names: Iterable[str]) -> list[str]:
    """Group names stripped, without blanks or repeats, in order; ValueError on a name too long."""
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if len(name) > MAX_GROUP_NAME:
            raise ValueError(f"group name {name[:20]!r}… is longer than {MAX_GROUP_NAME} characters")
        if name:
            seen.setdefault(name, None)
    return list(seen)
