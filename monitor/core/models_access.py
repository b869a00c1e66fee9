"""Sign-in factors (issue 20): TOTP, recovery codes, passkeys."""

from __future__ import annotations
