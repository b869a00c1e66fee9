"""``monitor evidence verify``: does an exported bundle hold? The first thing that does not.

In order: the zip is safe to unpack (no path outside it, bounded size); the bag
(``bagit``: every payload file against ``manifest-sha256.txt``, nothing missing or extra);
each WARC or media file is named by its own SHA-256 (and is reported when no stamped
manifest lists it);
each token (``rfc3161-client``) is granted, signed by a timestamping certificate that
chains to a root (the bundle's own chain, or ``--ca``) and stamps its ``NAME.txt``; the
custody slice is one unbroken hash chain.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import bagit
from cryptography import x509
from rfc3161_client import decode_timestamp_response

from monitor.core.storage.custody import ChainError, check_chain
from monitor.evidence.stamp import ManifestError, parse_manifest
from monitor.evidence.tsa import StampError, load_pem_file, verify_response

# A bundle larger than this unpacked is refused rather than filling the disk.
MAX_UNPACKED_BYTES = 8 * 1024**3
MAX_MEMBERS = 200_000


class BundleInvalid(Exception):
    """The bundle does not hold; the message names the first file or check that fails."""


@dataclass(frozen=True)
class Verified:
    files: int
    tokens: int
    custody_events: int
    roots: tuple[str, ...]  # the trust roots the tokens chain to, for a person to judge
    unstamped: tuple[str, ...] = ()  # captured after the last timestamp run: no token covers them


def verify_bundle(path: Path, *, ca_file: Path | None = None) -> Verified:
    """Check the zipped bag at ``path``; ``BundleInvalid`` names the first failure."""
    roots = _load_roots(ca_file) if ca_file else None
    with tempfile.TemporaryDirectory(prefix="monitor-verify-") as tmp:
        root = Path(tmp)
        _unpack(path, root)
        files = _check_bag(root)
        stamped = set()
        tokens, anchors = _check_tokens(root / "data" / "timestamps", roots, stamped)
        unstamped = _check_blobs(root / "data", stamped)
        events = _check_custody(root / "data" / "custody.jsonl")
    return Verified(
        files=files, tokens=tokens, custody_events=events, roots=tuple(sorted(anchors)), unstamped=tuple(unstamped)
    )


def _load_roots(ca_file: Path) -> list[x509.Certificate]:
    try:
        return load_pem_file(ca_file)
    except (OSError, ValueError) as exc:
        raise BundleInvalid(f"--ca {ca_file}: no certificates read ({exc})") from None


def _unpack(path: Path, into: Path) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleInvalid(f"{path}: not a readable zip ({exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise BundleInvalid(f"{path}: too large to unpack")
        for member in members:
            name = PurePosixPath(member.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in member.filename:
                raise BundleInvalid(f"{member.filename}: a path outside the bundle")
        try:
            archive.extractall(into)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BundleInvalid(f"{path}: cannot be unpacked ({exc})") from None


def _check_bag(root: Path) -> int:
    """Validate the bag; the number of payload files."""
    quiet = logging.getLogger("bagit")
    quiet.disabled = True  # bagit logs each failure itself; ours is the one line
    try:
        bag = bagit.Bag(str(root))
        bag.validate()
    except bagit.BagValidationError as exc:
        first = exc.details[0] if exc.details else None
        if first is not None and getattr(first, "path", None):
            raise BundleInvalid(f"{first.path}: {_reason(first)}") from None
        raise BundleInvalid(f"bag: {exc.message}") from None
    except bagit.BagError as exc:
        raise BundleInvalid(f"bag: {exc}") from None
    finally:
        quiet.disabled = False
    if "sha256" not in bag.algorithms:
        raise BundleInvalid("manifest-sha256.txt: missing")
    return len(bag.payload_entries())


def _reason(detail) -> str:
    if isinstance(detail, bagit.ChecksumMismatch):
        return "its SHA-256 does not match manifest-sha256.txt"
    if isinstance(detail, bagit.FileMissing):
        return "listed in the manifest but missing"
    if isinstance(detail, bagit.UnexpectedFile):
        return "present but not in the manifest"
    return str(detail)


def _check_tokens(folder: Path, roots, stamped: set[str]) -> tuple[int, set[str]]:
    """Verify every NAME.tsr against NAME.txt and NAME.chain.pem; collect the stamped hashes."""
    anchors: set[str] = set()
    tokens = sorted(folder.glob("*.tsr")) if folder.is_dir() else []
    for tsr in tokens:
        where = f"data/timestamps/{tsr.name}"
        data, chain = _token_files(tsr, where)
        try:
            response = decode_timestamp_response(tsr.read_bytes())
            verify_response(response, data, chain, where=where, roots=roots)
            stamped.update(parse_manifest(data))
        except StampError as exc:
            raise BundleInvalid(str(exc)) from None
        except ManifestError as exc:
            raise BundleInvalid(f"{where[:-4]}.txt: {exc}") from None
        except ValueError as exc:
            raise BundleInvalid(f"{where}: not a timestamp response ({exc})") from None
        anchors.update(c.subject.rfc4514_string() for c in (roots or chain) if c.issuer == c.subject)
    return len(tokens), anchors


def _token_files(tsr: Path, where: str) -> tuple[bytes, list[x509.Certificate]]:
    stem = tsr.name[: -len(".tsr")]
    data_path, chain_path = tsr.with_name(f"{stem}.txt"), tsr.with_name(f"{stem}.chain.pem")
    if not data_path.is_file() or not chain_path.is_file():
        raise BundleInvalid(f"{where}: its .txt or .chain.pem is missing")
    try:
        return data_path.read_bytes(), load_pem_file(chain_path)
    except ValueError as exc:
        raise BundleInvalid(f"data/timestamps/{chain_path.name}: no certificates read ({exc})") from None


def _check_blobs(data: Path, stamped: set[str]) -> list[str]:
    """Each file in warc/ and media/ must be named by its SHA-256; those no token covers
    (captured after the last timestamp run) are returned, not failed."""
    unstamped = []
    for folder in ("warc", "media"):
        for blob in sorted((data / folder).glob("*")) if (data / folder).is_dir() else []:
            name = blob.name.split(".", 1)[0]
            with blob.open("rb") as stream:
                digest = hashlib.file_digest(stream, "sha256").hexdigest()
            if digest != name:
                raise BundleInvalid(f"data/{folder}/{blob.name}: its SHA-256 is not its name")
            if name not in stamped:
                unstamped.append(f"data/{folder}/{blob.name}")
    return unstamped


def _check_custody(path: Path) -> int:
    if not path.is_file():
        raise BundleInvalid("data/custody.jsonl: missing")
    try:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        check_chain(records)
    except (ValueError, ChainError) as exc:
        raise BundleInvalid(f"data/custody.jsonl: {exc}") from None
    return len(records)
