"""Sign-in factors and per-case access (issue 20): TOTP, recovery codes, passkeys, groups."""

from __future__ import annotations
