"""Keys for sign-in secrets, derived from ``MONITOR_SECRET_KEY`` with HKDF (``cryptography``).

One key per purpose (``info``), so the TOTP encryption key and the recovery-code hashing key
are unrelated to each other and to the session-signing use of the same secret. A copy of the
database without the secret key therefore reveals no TOTP secret and lets nobody test guesses
of recovery codes offline.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from monitor.core.settings import get_settings


def derived_key(purpose: str) -> bytes:
    """32 bytes for ``purpose``, derived from the app's secret key."""
    secret = get_settings().resolved_secret_key().encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"monitor signin {purpose}".encode()).derive(
        secret
    )


def fernet(purpose: str) -> Fernet:
    """Authenticated encryption (AES-CBC + HMAC, ``cryptography``'s Fernet) under ``purpose``'s key."""
    return Fernet(base64.urlsafe_b64encode(derived_key(purpose)))
