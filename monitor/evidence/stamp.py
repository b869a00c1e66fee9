"""The hourly timestamp run: captures not yet stamped → one manifest → a token per TSA.

The manifest is text, one capture SHA-256 per line (a response's request record's too),
sorted and unique; its own SHA-256 is
what each TSA in ``[evidence] tsa`` signs. The manifest, every token with its TSA's chain,
and a link from each capture to its manifest are stored together, with a "timestamped"
custody event; so a run that no TSA answered stores nothing, and the next run tries again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from monitor.core.models import utcnow
from monitor.core.models_custody import CaptureStamp, StampManifest, StampToken
from monitor.core.models_evidence import Capture
from monitor.core.storage.custody import append_event
from monitor.evidence.tsa import StampError, load_pem_file, request_token

log = logging.getLogger(__name__)
_LINE = re.compile(r"[0-9a-f]{64}")


class ManifestError(ValueError):
    """A manifest's text is not one lower-case SHA-256 per line."""


def build_manifest(hashes) -> bytes:
    """The manifest of ``hashes``: sorted, unique, one per line, each line ending in LF."""
    unique = sorted(set(hashes))
    for value in unique:
        if not _LINE.fullmatch(value):
            raise ManifestError(f"not a SHA-256: {value[:80]!r}")
    return "".join(f"{value}\n" for value in unique).encode("ascii")


def parse_manifest(data: bytes) -> list[str]:
    """The hashes a manifest lists; ``ManifestError`` (naming the line) for anything else."""
    text = data.decode("ascii", errors="replace")
    if text and not text.endswith("\n"):
        raise ManifestError("manifest: last line has no line end")
    lines = text.split("\n")[:-1] if text else []
    for number, line in enumerate(lines, 1):
        if not _LINE.fullmatch(line):
            raise ManifestError(f"manifest line {number}: not a SHA-256")
    if lines != sorted(set(lines)):
        raise ManifestError("manifest: lines not sorted and unique")
    return lines


def evidence_settings(watchlist):
    """The watchlist's [evidence] table, ``tsa_ca_file`` resolved beside the config file."""
    evidence = watchlist.evidence
    if evidence.tsa_ca_file and not Path(evidence.tsa_ca_file).is_absolute():
        resolved = Path(watchlist.path).parent / evidence.tsa_ca_file
        evidence = evidence.model_copy(update={"tsa_ca_file": str(resolved)})
    return evidence


@dataclass
class StampRun:
    """What one run did: the manifest (None if nothing was stamped), its tokens, the failures."""

    manifest_id: int | None = None
    captures: int = 0
    tokens: int = 0
    errors: list[str] = field(default_factory=list)


def pending_captures(session: Session) -> list[Capture]:
    """Captures no manifest lists yet, oldest first."""
    statement = (
        select(Capture)
        .outerjoin(CaptureStamp, CaptureStamp.capture_id == Capture.id)
        .where(CaptureStamp.capture_id.is_(None))
        .order_by(Capture.id)
    )
    return list(session.exec(statement).all())


def stamp_pending(session: Session, *, settings, evidence) -> StampRun:
    """Timestamp every pending capture at every TSA of ``evidence`` (the [evidence] table).

    Commits on success; with no TSA configured, or no TSA answering, stores nothing.
    """
    run = StampRun()
    captures = pending_captures(session)
    if not captures or not evidence.tsa:
        return run
    # A response's request record is stamped with it: the bundle carries both.
    body = build_manifest(sha for c in captures for sha in (c.sha256, c.request_sha256) if sha)
    digest = hashlib.sha256(body).hexdigest()
    manifest = session.exec(select(StampManifest).where(StampManifest.sha256 == digest)).first()
    if manifest is None:
        tokens = _tokens(body, settings=settings, evidence=evidence, errors=run.errors)
        if not tokens:
            return run
        try:
            manifest = _store_manifest(session, body, digest, tokens)
        except IntegrityError:
            session.rollback()
            run.errors.append("a concurrent run stamped these captures; nothing stored twice")
            return StampRun(errors=run.errors)
        run.tokens = len(tokens)
    try:
        # The same bytes stamped earlier (an identical body captured again): that proof covers them.
        for capture in captures:
            session.add(CaptureStamp(capture_id=capture.id, manifest_id=manifest.id))
        append_event(
            session,
            "timestamped",
            "monitor",
            f"manifest:{manifest.id}",
            details={"manifest_sha256": digest, "captures": len(captures), "tokens": run.tokens},
        )
        session.commit()
    except IntegrityError:
        # Another run (the beat and `monitor evidence stamp` at once) linked these first.
        session.rollback()
        run.errors.append("a concurrent run stamped these captures; nothing stored twice")
        return StampRun(errors=run.errors)
    run.manifest_id, run.captures = manifest.id, len(captures)
    log.info("evidence stamped", extra={"manifest_id": manifest.id, "captures": len(captures), "tokens": run.tokens})
    return run


def _tokens(body: bytes, *, settings, evidence, errors: list[str]) -> list[tuple[str, object]]:
    """(TSA URL, Token) for every TSA that granted one; each failure appended to ``errors``."""
    try:
        roots = load_pem_file(Path(evidence.tsa_ca_file)) if evidence.tsa_ca_file else []
    except (OSError, ValueError) as exc:
        errors.append(f"[evidence] tsa_ca_file {evidence.tsa_ca_file}: no certificates read ({exc})")
        return []
    tokens = []
    for url in evidence.tsa:
        try:
            tokens.append((url, request_token(url, body, settings=settings, extra_roots=roots)))
        except StampError as exc:
            errors.append(str(exc))
            log.warning("timestamp failed: %s", exc)
    return tokens


def _store_manifest(session: Session, body: bytes, digest: str, tokens) -> StampManifest:
    manifest = StampManifest(sha256=digest, body=body.decode("ascii"), created_at=utcnow())
    session.add(manifest)
    session.flush()
    for url, token in tokens:
        session.add(
            StampToken(
                manifest_id=manifest.id,
                tsa_url=url,
                response=token.response,
                chain_pem=token.chain_pem,
                gen_time=token.gen_time,
            )
        )
    session.flush()
    return manifest
