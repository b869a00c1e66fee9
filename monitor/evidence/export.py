"""``monitor evidence export``: one person's evidence as a zipped BagIt bag.

The bag (``bagit``, RFC 8493) holds under ``data/``: ``VERIFY.md``; ``warc/SHA.warc.gz``
(each capture's WARC record and its request record, byte for byte from the store); ``media/SHA.png|pdf``;
``captures.wacz`` (the same records for ReplayWeb.page, by ``wacz``); ``items.jsonl``;
``custody.jsonl`` (``custody.person_slice``); and per TSA token ``timestamps/NAME.tsr``,
``NAME.txt`` (the stamped manifest) and ``NAME.chain.pem``. The export is itself a custody
event, appended before the slice is cut, so the bundle records its own making.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import bagit
from sqlmodel import Session, select

from monitor.core.blobs import blob_path
from monitor.core.models import Mention, MentionPerson, Person, Source, utcnow
from monitor.core.models_custody import CaptureStamp, StampManifest, StampToken
from monitor.core.models_evidence import Capture
from monitor.core.storage.custody import append_event, person_slice
from monitor.evidence.verify_text import VERIFY_MD

MEDIA_SUFFIX = {"screenshot": ".png", "pdf": ".pdf"}


class ExportError(Exception):
    """The export cannot be made; one line saying why."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    mentions: int
    captures: int
    tokens: int


def export_bundle(
    session: Session, settings, *, person: str, out: Path, since: datetime | None = None, actor: str = "cli"
) -> ExportResult:
    """Write ``out`` (a zip of the bag) for ``person`` (exact name); appends an "exported" event."""
    found = session.exec(select(Person).where(Person.name == person)).first()
    if found is None:
        raise ExportError(f"no tracked person named {person!r}")
    rows = _mentions(session, found.id, since)
    captures = [c for _, caps in rows for c in caps]
    if not any(c.kind not in MEDIA_SUFFIX for c in captures):
        raise ExportError(f"no captured records for {person!r}{' since ' + since.date().isoformat() if since else ''}")
    append_event(
        session,
        "exported",
        actor,
        f"person:{found.id}",
        person_ids=[found.id],
        details={"since": since.isoformat() if since else None, "mentions": len(rows), "captures": len(captures)},
    )
    session.commit()
    with tempfile.TemporaryDirectory(prefix="monitor-export-") as tmp:
        bag_dir = Path(tmp) / "bag"
        bag_dir.mkdir()
        warcs = _write_blobs(bag_dir, settings, captures)
        _write_wacz(bag_dir / "captures.wacz", warcs)
        _write_lines(bag_dir / "items.jsonl", (_item(m, caps, source) for (m, source), caps in rows))
        _write_lines(bag_dir / "custody.jsonl", person_slice(session, found.id))
        tokens = _write_timestamps(session, bag_dir / "timestamps", [c.id for c in captures])
        (bag_dir / "VERIFY.md").write_text(
            VERIFY_MD.format(person=found.name, exported=utcnow().isoformat(timespec="seconds"))
        )
        bagit.make_bag(
            str(bag_dir), {"External-Description": "Evidence bundle of the mention monitor"}, checksums=["sha256"]
        )
        _zip(bag_dir, out)
    return ExportResult(out=out, mentions=len(rows), captures=len(captures), tokens=tokens)


def _mentions(session: Session, person_id: int, since: datetime | None):
    """[((Mention, source name), [Capture…])] of the person's mentions, oldest first."""
    statement = (
        select(Mention, Source.name)
        .join(MentionPerson, MentionPerson.mention_id == Mention.id)
        .join(Source, Source.id == Mention.source_id)
        .where(MentionPerson.person_id == person_id)
        .order_by(Mention.id)
    )
    if since is not None:
        statement = statement.where(Mention.fetched_at >= since)
    rows = []
    for mention, source in session.exec(statement).all():
        caps = session.exec(select(Capture).where(Capture.mention_id == mention.id).order_by(Capture.id)).all()
        rows.append(((mention, source), list(caps)))
    return rows


def _write_blobs(bag_dir: Path, settings, captures: list[Capture]) -> list[Path]:
    """Copy each capture's stored bytes into warc/ or media/; the WARC paths, for the WACZ."""
    warcs: dict[str, Path] = {}
    for capture in captures:
        suffix = MEDIA_SUFFIX.get(capture.kind, ".warc.gz")
        # A response's request record goes beside it: the request is part of what was captured.
        for sha in filter(None, (capture.sha256, None if capture.kind in MEDIA_SUFFIX else capture.request_sha256)):
            target = bag_dir / ("media" if capture.kind in MEDIA_SUFFIX else "warc") / f"{sha}{suffix}"
            source = blob_path(settings, sha)
            if not source.is_file():
                raise ExportError(f"capture {capture.id}: its file {sha[:12]}… is missing from the evidence store")
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(source, target)
            if suffix == ".warc.gz":
                warcs[sha] = target
    return list(warcs.values())


def _write_wacz(target: Path, warcs: list[Path]) -> None:
    """Pack the WARC records into a WACZ with ``wacz create`` (its output kept off our stdout)."""
    from wacz.main import main as wacz_main

    with contextlib.redirect_stdout(io.StringIO()):
        code = wacz_main(
            ["create", "-o", str(target), "--detect-pages", "--hash-type", "sha256", *[str(p) for p in warcs]]
        )
    if code not in (0, None) or not target.is_file():
        raise ExportError("the WACZ of the captures could not be written")


def _item(mention: Mention, captures: list[Capture], source: str) -> dict:
    """A mention as extracted, with its captures' fingerprints and manifests' links."""
    return {
        "id": mention.id,
        "source": source,
        "url": mention.url,
        "title": mention.title,
        "text": mention.text,
        "author": mention.author,
        "published_at": _iso(mention.published_at),
        "fetched_at": _iso(mention.fetched_at),
        "review_state": mention.review_state,
        "label": mention.label,
        "captures": [
            {
                "id": c.id,
                "kind": c.kind,
                "sha256": c.sha256,
                "url": c.url,
                "status": c.status,
                "size": c.size,
                "method": c.method,
                "item_sha256": c.item_sha256,
                "captured_at": _iso(c.captured_at),
            }
            for c in captures
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _write_lines(path: Path, records) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def _write_timestamps(session: Session, folder: Path, capture_ids: list[int]) -> int:
    """NAME.tsr, NAME.txt, NAME.chain.pem per token of the captures' manifests; the count."""
    manifest_ids = set(
        session.exec(select(CaptureStamp.manifest_id).where(CaptureStamp.capture_id.in_(capture_ids))).all()
    )
    count = 0
    for manifest in session.exec(
        select(StampManifest).where(StampManifest.id.in_(manifest_ids)).order_by(StampManifest.id)
    ):
        for token in session.exec(
            select(StampToken).where(StampToken.manifest_id == manifest.id).order_by(StampToken.id)
        ):
            folder.mkdir(exist_ok=True)
            name = token_name(manifest.id, token.id, token.tsa_url)
            (folder / f"{name}.tsr").write_bytes(token.response)
            (folder / f"{name}.txt").write_bytes(manifest.body.encode("ascii"))
            (folder / f"{name}.chain.pem").write_text(token.chain_pem, encoding="ascii")
            count += 1
    return count


def token_name(manifest_id: int, token_id: int, tsa_url: str) -> str:
    """ "manifest-4-freetsa.org-9": one name per token, the TSA's host readable in it."""
    host = re.sub(r"[^A-Za-z0-9.-]", "_", urlsplit(tsa_url).hostname or "tsa")
    return f"manifest-{manifest_id}-{host}-{token_id}"


def _zip(bag_dir: Path, out: Path) -> None:
    """Zip the bag's contents (bagit.txt at the top) to ``out``, written whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(bag_dir).as_posix())
        os.replace(partial, out)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
