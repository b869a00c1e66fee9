"""``env:NAME`` references to channel URLs: the config never holds a URL (URLs carry bot tokens)."""

from __future__ import annotations

import os

from monitor.core.config_refs import REFERENCE, check_reference  # noqa: F401 - the channels use them from here
from monitor.notify.channels import ChannelError


def resolve(reference: str, environ=os.environ) -> str:
    """The URL a reference names; ChannelError when the variable is unset or empty."""
    found = REFERENCE.fullmatch(reference)
    if not found:
        raise ChannelError(f"{reference!r} is not an env:NAME reference", permanent=True)
    url = environ.get(found.group(1), "").strip()
    if not url:
        raise ChannelError(f"{reference}: the environment variable is not set")
    return url
