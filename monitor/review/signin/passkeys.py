"""Passkeys (WebAuthn) with ``webauthn`` (py_webauthn): options for the browser, and checks of
what it answers. Used as a second factor after the password (not passwordless: the password
stays the one first step, so an account cannot be taken over by registering a passkey on a
session left open without also knowing the password — see the README).

The relying-party id is the host the monitor is reached at. WebAuthn refuses IP addresses as
relying-party ids, so ``relying_party`` refuses them with a clear message: a passkey needs the
monitor on a host name (``https://monitor.example.org``; ``localhost`` also works, as browsers
treat it as a secure context). A passkey registered under one host name works only there.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "Mention monitor"
TIMEOUT_MS = 120_000
NEEDS_HOST_NAME = (
    "Passkeys need the monitor on a host name, not an IP address: open it as "
    "https://monitor.example.org (or http://localhost on this computer)."
)


class PasskeyError(Exception):
    """A passkey cannot be used here, or the browser's answer did not verify (one-line message)."""


@dataclass(frozen=True)
class NewPasskey:
    """A verified registration: what storage keeps."""

    credential_id: str  # base64url
    public_key: bytes
    sign_count: int


def relying_party(host: str | None) -> str:
    """The relying-party id for a request to ``host``; raises ``PasskeyError`` for an IP address or no host."""
    if not host:
        raise PasskeyError(NEEDS_HOST_NAME)
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower()
    raise PasskeyError(NEEDS_HOST_NAME)


def registration_options(*, rp_id: str, user_id: int, account: str, existing: list[str]) -> tuple[dict, str]:
    """Options for ``navigator.credentials.create`` (WebAuthn JSON form) and their challenge (base64url)."""
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=str(user_id).encode(),
        user_name=account,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED, user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in existing],
    )
    return json.loads(webauthn.options_to_json(options)), bytes_to_base64url(options.challenge)


def verify_registration(credential: dict, *, challenge: str, rp_id: str, origin: str) -> NewPasskey:
    """Check the browser's answer to ``registration_options``; raises ``PasskeyError`` when it does not hold."""
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyError(f"the passkey could not be registered: {exc}") from exc
    return NewPasskey(bytes_to_base64url(verified.credential_id), verified.credential_public_key, verified.sign_count)


def authentication_options(*, rp_id: str, credential_ids: list[str]) -> tuple[dict, str]:
    """Options for ``navigator.credentials.get`` allowing the user's passkeys, and their challenge."""
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.PREFERRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in credential_ids],
    )
    return json.loads(webauthn.options_to_json(options)), bytes_to_base64url(options.challenge)


def credential_id_of(credential: dict) -> str:
    """The credential id the browser's answer names (base64url), to find the stored passkey."""
    value = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(value, str) or not value or len(value) > 1400:
        raise PasskeyError("the browser's answer names no passkey")
    return value


def verify_authentication(
    credential: dict, *, challenge: str, rp_id: str, origin: str, public_key: bytes, sign_count: int
) -> int:
    """Check a signed challenge against the stored public key; returns the new signature counter.
    Raises ``PasskeyError`` when it does not hold (a cloned authenticator's counter included)."""
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyError(f"the passkey did not verify: {exc}") from exc
    return verified.new_sign_count
