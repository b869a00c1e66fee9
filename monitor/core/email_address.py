"""The one email address check, for the config, the digest and alerts alike.

A recipient address is one plain ASCII ``local@domain``: no display name, no comment, no
second address after a comma, no line break. Anything a header parser could read as a
second field or a second recipient is refused rather than parsed leniently, so
``"desk@example.org, leak@attacker.example"`` can never send a copy elsewhere.
"""

from __future__ import annotations

import re

# RFC 5322's atext for the local part; a dotted host name of letters, digits and hyphens.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def normalise_email(email: str) -> str:
    """The form an email is stored and looked up in: trimmed, lower case."""
    return email.strip().lower()


def address_problem(address: object) -> str | None:
    """None when ``address`` is one plain ``local@domain``; else a one-line reason."""
    if not isinstance(address, str) or not PLAIN_ADDRESS.fullmatch(address):
        return f"{str(address)!r:.80}: not a plain email address (one local@domain: no name, comma or line break)"
    return None
