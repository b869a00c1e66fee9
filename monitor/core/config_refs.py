"""``env:NAME`` references in the config: a channel URL (which carries a bot token) is never
written in the TOML, only the name of the environment variable that holds it."""

from __future__ import annotations

import re

REFERENCE = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")


def check_reference(value: str) -> str:
    """``value`` when it is an ``env:NAME`` reference; ValueError with a one-line reason otherwise."""
    value = value.strip()
    if REFERENCE.fullmatch(value):
        return value
    if "://" in value or "@" in value:
        raise ValueError(
            "a channel URL holds secrets and is never written in the config; "
            'put it in an environment variable and write "env:NAME"'
        )
    raise ValueError(f'{value!r} is not a reference; write "env:NAME" (an environment variable\'s name)')
