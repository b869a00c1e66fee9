"""The encrypted container of a backup: scrypt + AES-256-GCM in chunks, so memory stays bounded.

Layout::

    MAGIC                      b"MONITOR-BACKUP\\x01\\n"
    header                     one line of JSON: kdf parameters, salt, nonce prefix, chunk size
    chunk*                     4-byte big-endian length, then AES-GCM ciphertext (+ 16-byte tag)

Chunk ``i`` is sealed under nonce ``prefix(8) || i(4)`` with the associated data
``MAGIC || header || i(8) || final(1)``: a changed header, a reordered, dropped or
appended chunk, or a file cut short (no chunk marked final) fails authentication.
A wrong passphrase and a damaged file both fail the first chunk: ``BackupError`` says so
without guessing which. ``cryptography`` provides scrypt and AES-GCM; only the framing is ours.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

MAGIC = b"MONITOR-BACKUP\x01\n"
CHUNK_BYTES = 1 << 20  # plaintext per chunk: memory holds about two of them
MAX_HEADER_BYTES = 4096
# scrypt cost (RFC 7914): N=2**15, r=8 takes ~32 MiB and a fraction of a second, per the
# cryptography documentation's guidance for interactive use; stored in the header.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 15, 8, 1
MAX_SCRYPT_N = 1 << 20  # a header asking for more is damaged or hostile (memory)
TAG_BYTES = 16


class BackupError(Exception):
    """A backup cannot be written or read; the message is one line for the user."""


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return MAGIC + header + struct.pack(">QB", index, 1 if final else 0)


class EncryptingWriter:
    """A binary sink that seals what is written into ``out`` chunk by chunk; ``close()`` seals
    the final chunk (always one, possibly empty) and must be called for a readable file."""

    def __init__(self, out: BinaryIO, passphrase: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt, self._prefix = os.urandom(16), os.urandom(8)
        self._aead = AESGCM(_derive(passphrase, salt, n, r, p))
        self._header = (
            json.dumps(
                {
                    "kdf": "scrypt",
                    "n": n,
                    "r": r,
                    "p": p,
                    "cipher": "AES-256-GCM",
                    "chunk": CHUNK_BYTES,
                    "salt": base64.b64encode(salt).decode(),
                    "nonce": base64.b64encode(self._prefix).decode(),
                },
                sort_keys=True,
            ).encode()
            + b"\n"
        )
        self._out, self._buffer, self._index = out, bytearray(), 0
        out.write(MAGIC + self._header)

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK_BYTES:  # keep the last (possibly final) chunk back
            self._seal(bytes(self._buffer[:CHUNK_BYTES]), final=False)
            del self._buffer[:CHUNK_BYTES]
        return len(data)

    def close(self) -> None:
        self._seal(bytes(self._buffer), final=True)
        self._buffer.clear()

    def _seal(self, plain: bytes, *, final: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._index)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._header, self._index, final))
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1


def _read_header(source: BinaryIO) -> tuple[bytes, dict]:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a monitor backup (or its first bytes are damaged)")
    header = source.readline(MAX_HEADER_BYTES)
    try:
        fields = json.loads(header)
        salt, prefix = base64.b64decode(fields["salt"]), base64.b64decode(fields["nonce"])
        n, r, p, chunk = int(fields["n"]), int(fields["r"]), int(fields["p"]), int(fields["chunk"])
    except (ValueError, KeyError, TypeError):
        raise BackupError("the backup's header is damaged") from None
    if (
        not (2 <= n <= MAX_SCRYPT_N and 1 <= r <= 32 and 1 <= p <= 16 and 0 < chunk <= 16 * CHUNK_BYTES)
        or len(prefix) != 8
    ):
        raise BackupError("the backup's header is damaged")
    return header, {"salt": salt, "prefix": prefix, "n": n, "r": r, "p": p, "chunk": chunk}


def decrypted_chunks(source: BinaryIO, passphrase: str) -> Iterator[bytes]:
    """The plaintext of ``source`` chunk by chunk, each authenticated before it is yielded;
    ``BackupError`` at the first chunk that fails, or when the file ends before its final chunk
    or goes on after it."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, params = _read_header(source)
    aead = AESGCM(_derive(passphrase, params["salt"], params["n"], params["r"], params["p"]))
    index = 0
    while True:
        size_bytes = source.read(4)
        if len(size_bytes) < 4:
            raise BackupError("the backup is cut short (its last part is missing)")
        size = struct.unpack(">I", size_bytes)[0]
        if not TAG_BYTES <= size <= params["chunk"] + TAG_BYTES:
            raise BackupError("the backup is damaged (a part has an impossible length)")
        sealed = source.read(size)
        nonce = params["prefix"] + struct.pack(">I", index)
        plain = final = None
        for final in (False, True):
            try:
                plain = aead.decrypt(nonce, sealed, _aad(header, index, final))
                break
            except InvalidTag:
                continue
        if plain is None:
            raise BackupError("cannot decrypt the backup: wrong passphrase, or the file is damaged")
        yield plain
        if final:
            if source.read(1):
                raise BackupError("the backup is damaged (data after its end)")
            return
        index += 1
