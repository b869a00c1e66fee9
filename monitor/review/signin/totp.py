"""TOTP (RFC 6238) with ``pyotp``: secrets, codes, the time step a code belongs to, the QR code.

Codes are six digits over 30-second steps; a code of the step before or after the current one
is accepted too (``WINDOW``: clocks of phones drift). The step a code matched is returned so
that storage can refuse a code whose step was already used (a replay). Secrets are kept
encrypted (``encrypt``/``decrypt``, a key derived from ``MONITOR_SECRET_KEY``). The QR code
is an inline SVG drawn by ``segno`` on our own page: the secret never leaves for a
third-party QR service.
"""

from __future__ import annotations

import hmac
import re
import time

import pyotp
import segno
from cryptography.fernet import InvalidToken

from monitor.review.signin.keys import fernet

ISSUER = "Mention monitor"
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one
_CODE = re.compile(r"[0-9]{6}")
_SEPARATORS = re.compile(r"[\s-]")
MAX_INPUT_CHARS = 64  # anything longer is not a code; never run a regex over a huge field


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted: ``MONITOR_SECRET_KEY`` changed since enrolment."""


def new_secret() -> str:
    """A random base32 secret of 160 bits (pyotp's default length is 32 characters)."""
    return pyotp.random_base32()


def encrypt(secret: str) -> str:
    """The secret encrypted for storage."""
    return fernet("totp").encrypt(secret.encode()).decode()


def decrypt(stored: str) -> str:
    """The secret of ``encrypt``'s output; raises ``SecretUnreadable`` when the key changed."""
    try:
        return fernet("totp").decrypt(stored.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("the authenticator secret cannot be read: was MONITOR_SECRET_KEY changed?") from exc


def parse_code(text: str) -> str | None:
    """The six digits of a typed code ("123 456", "123-456" too), or None when it is not one."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return None
    compact = _SEPARATORS.sub("", text)
    return compact if _CODE.fullmatch(compact) else None


def current_step(now: float | None = None) -> int:
    """The TOTP time step of ``now`` (Unix seconds; the present by default)."""
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    """The code of ``secret`` for time step ``step``."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step within ``WINDOW`` of now whose code is ``code``, or None. Compares in constant time."""
    here = current_step(now)
    for step in range(here - WINDOW, here + WINDOW + 1):
        if hmac.compare_digest(code_at(secret, step).encode(), code.encode()):
            return step
    return None


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline ``<svg>`` element (no XML declaration, no script)."""
    return segno.make(uri, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app", svgclass="qr", lineclass=None, light="#fff"
    )
