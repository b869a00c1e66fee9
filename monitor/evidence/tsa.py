"""One RFC 3161 exchange with a timestamp authority, through the monitor's guarded client.

``rfc3161-client`` builds the request and parses and verifies the response; it makes no
network calls, so the POST goes through ``monitor.ingest.fetch`` (address guard, size and time
limits). A request carries only the SHA-256 of the stamped bytes and a random nonce.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from monitor.ingest.fetch import FetchError, fetch

TSQ_TYPE = "application/timestamp-query"


class StampError(Exception):
    """A TSA gave no usable token; one line naming the TSA's host and what failed."""


@dataclass(frozen=True)
class Token:
    """A granted response (``response``: the DER TimeStampResp), its chain and its time."""

    response: bytes
    chain_pem: str
    gen_time: datetime


def request_token(url: str, data: bytes, *, settings, extra_roots: list[x509.Certificate]) -> Token:
    """Timestamp ``data`` (its SHA-256) at the TSA ``url``; raise ``StampError`` otherwise.

    The token is asked to carry the TSA's certificates. Some TSAs send them as a SET OF
    that is not in DER order, which ``rfc3161-client`` refuses to parse; the request is then
    repeated without certificates, and the TSA's own certificate must be in ``extra_roots``.
    """
    try:
        return _exchange(url, data, settings=settings, extra_roots=extra_roots, certs=True)
    except _Unparsable:
        try:
            return _exchange(url, data, settings=settings, extra_roots=extra_roots, certs=False)
        except _Unparsable as exc:
            raise StampError(f"TSA {_host(url)}: not a timestamp response ({exc})") from None


class _Unparsable(Exception):
    pass


def _exchange(url: str, data: bytes, *, settings, extra_roots: list[x509.Certificate], certs: bool) -> Token:
    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=certs)
        .build()
    )
    try:
        result = fetch(
            url, method="POST", content=request.as_bytes(), headers={"Content-Type": TSQ_TYPE}, settings=settings
        )
    except FetchError as exc:
        raise StampError(f"TSA {_host(url)}: {exc}") from None
    try:
        response = decode_timestamp_response(result.body)
    except ValueError as exc:
        raise _Unparsable(str(exc)) from None
    _check_granted(url, response, data, request.nonce)
    embedded = [x509.load_der_x509_certificate(der) for der in response.signed_data.certificates]
    signer = embedded or _signer(response, extra_roots)
    if not signer:
        raise StampError(f"TSA {_host(url)}: the token names a certificate we lack; add it to [evidence] tsa_ca_file")
    chain = complete_chain(signer, extra_roots)
    verify_response(response, data, chain, where=f"TSA {_host(url)}")
    gen_time = response.tst_info.gen_time
    return Token(response=result.body, chain_pem=to_pem(chain), gen_time=gen_time.astimezone(UTC))


def _signer(response: TimeStampResponse, pool: list[x509.Certificate]) -> list[x509.Certificate]:
    """The certificate (from ``pool``) that the response's SignerInfo names, as a list."""
    infos = list(response.signed_data.signer_infos)
    if len(infos) != 1:
        return []
    return [c for c in pool if c.issuer == infos[0].issuer and c.serial_number == infos[0].serial_number][:1]


def _check_granted(url: str, response: TimeStampResponse, data: bytes, nonce: int | None) -> None:
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise StampError(f"TSA {_host(url)}: request refused (status {response.status})")
    if response.tst_info.message_imprint.message != hashlib.sha256(data).digest():
        raise StampError(f"TSA {_host(url)}: the token stamps other bytes")
    if nonce is not None and response.tst_info.nonce != nonce:
        raise StampError(f"TSA {_host(url)}: nonce mismatch (a replayed answer?)")


def verify_response(
    response: TimeStampResponse,
    data: bytes,
    chain: list[x509.Certificate],
    *,
    where: str,
    roots: list[x509.Certificate] | None = None,
) -> None:
    """Check the token's signature, its TSA certificate and chain, and that it stamps ``data``.

    Trust anchors are ``roots`` when given, else the self-signed certificates in ``chain``
    (a bundle's own chain: the verifier's output names that root for a person to judge).
    """
    anchors = roots if roots is not None else [c for c in chain if c.issuer == c.subject]
    if not anchors:
        raise StampError(f"{where}: no trust root for the token (give --ca, or tsa_ca_file at stamping)")
    builder = VerifierBuilder()
    for root in anchors:
        builder = builder.add_root_certificate(root)
    for cert in chain:
        if cert.issuer != cert.subject:
            builder = builder.add_intermediate_certificate(cert)
    if not response.signed_data.certificates:
        # A token without certificates: its signer must come from the chain file.
        signer = _signer(response, chain)
        if signer:
            builder = builder.tsa_certificate(signer[0])
    try:
        builder.build().verify_message(response, data)
    except (VerificationError, ValueError) as exc:
        raise StampError(f"{where}: token does not verify ({exc})") from None


def complete_chain(embedded: list[x509.Certificate], extra_roots: list[x509.Certificate]) -> list[x509.Certificate]:
    """The token's certificates followed by their issuers up to a self-signed root, found
    in ``extra_roots`` (the [evidence] tsa_ca_file) or the public roots of ``certifi``."""
    chain = list(embedded)
    while True:
        missing = {c.issuer for c in chain} - {c.subject for c in chain}
        if not missing:
            return chain
        issuer = next((c for c in extra_roots if c.subject in missing), None) or next(
            (c for c in _public_roots() if c.subject in missing), None
        )
        if issuer is None:
            return chain
        chain.append(issuer)


@functools.cache
def _public_roots() -> tuple[x509.Certificate, ...]:
    # certifi ships a few old roots with serial numbers that cryptography warns about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(load_pem_file(Path(certifi.where())))


def load_pem_file(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file (``ValueError`` when it holds none)."""
    return x509.load_pem_x509_certificates(path.read_bytes())


def to_pem(chain: list[x509.Certificate]) -> str:
    """The chain as concatenated PEM blocks, in order."""
    return "".join(cert.public_bytes(Encoding.PEM).decode("ascii") for cert in chain)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url[:40]
