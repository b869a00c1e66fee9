"""Channel URLs at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key
derived from the app's secret key with HKDF, so a copy of the database alone reveals no token.
Changing the secret key makes stored channels unreadable: each must be entered again."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from monitor.notify.channels import ChannelError

INFO = b"monitor notify channel urls v1"  # separates this key from any other use of the secret


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(url: str, secret_key: str) -> str:
    """``url`` encrypted and authenticated, as ASCII text for a Text column."""
    return _fernet(secret_key).encrypt(url.encode()).decode("ascii")


def unseal(sealed: str, secret_key: str) -> str:
    """The URL back; a permanent ChannelError when the secret key changed or the value was altered."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError, UnicodeError):
        raise ChannelError(
            "the stored channel URL cannot be decrypted (was the secret key changed?)", permanent=True
        ) from None
