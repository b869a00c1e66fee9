"""The whole evidence chain with real parts, on both databases: a loopback feed names a tracked
person → the poll's WARC record is stored under its hash → the linked page is captured → a local
TSA (``openssl ts -reply``) timestamps it → the site deletes the post → the re-check finds it
deleted → the person's bundle verifies with sha256sum, openssl, wacz and our own verifier, and
the custody log holds every step."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.core import db
from monitor.core.blobs import blob_path
from monitor.core.models import utcnow
from monitor.core.models_evidence import Capture
from monitor.entry.cli import app as cli
from monitor.entry.polling import poll_all_once
from monitor.evidence.recheck import run
from monitor.evidence.stamp import stamp_pending
from tests.fixtures import feeds
from tests.support import cli as forked
from tests.support.evidence import captures, mentions, preservations, sync
from tests.support.feedserver import FeedServer, Route
from tests.support.tsa import LocalTSA, make_pki

HOUR = timedelta(hours=1)
WACZ = str(Path(sys.executable).with_name("wacz"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def page(text: str) -> Route:
    return Route(f"<html><body><article><p>{text}</p></article></body></html>", content_type="text/html; charset=utf-8")


def monitor(*args: str) -> subprocess.CompletedProcess:
    return forked.monitor(*args, timeout=180)


def test_a_deleted_post_stays_evidence_that_anyone_can_verify(settings, pki, tmp_path):
    with FeedServer() as server, LocalTSA(pki) as tsa:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        server.routes["/news/a1"] = page("The court sentenced Vorontsov today. He denies the charges.")
        server.routes["/news/a2"] = page("Суд приговорил Воронцова. Он не признаёт вину.")
        extra = f'\n[evidence]\ntsa = ["{tsa.url}"]\ntsa_ca_file = "{pki.ca_cert}"\n'
        sync(settings, [server.url("/rss")], extra)
        poll_all_once()

        # The poll response is kept byte for byte, named by its own SHA-256.
        polled = captures(Capture.kind == "poll")
        assert polled, "the poll that stored mentions kept its response"
        for capture in polled:
            assert hashlib.sha256(blob_path(settings, capture.sha256).read_bytes()).hexdigest() == capture.sha256
        preserved = {
            m.url.rsplit("/", 1)[1]: m.id for m in mentions() if m.id in {p.mention_id for p in preservations()}
        }
        assert set(preserved) == {"a1", "a2"}

        t0 = utcnow()
        assert run(now=t0).outcomes == {"captured": 2}  # the linked pages
        with db.session_scope() as session:
            from monitor.core.config_file import load_watchlist
            from monitor.evidence.stamp import evidence_settings

            stamped = stamp_pending(
                session, settings=settings, evidence=evidence_settings(load_watchlist(settings.config))
            )
        assert stamped.tokens == 1 and stamped.captures >= 3 and len(tsa.queries) == 1

        server.routes["/news/a1"] = Route(b"gone", status=404)
        assert run(now=t0 + HOUR + timedelta(seconds=1)).outcomes.get("suspected") == 1
        done = CliRunner().invoke(cli, ["evidence", "recheck", "--now"])
        assert done.exit_code == 0 and "1 deleted" in done.output, done.output
        assert {p.mention_id: p.state for p in preservations()}[preserved["a1"]] == "deleted"

    out = tmp_path / "vorontsov.zip"
    exported = monitor("evidence", "export", "--person", "Vladimir Vorontsov", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    verified = monitor("evidence", "verify", str(out), "--ca", str(pki.ca_cert))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    root = tmp_path / "bag"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(root)
    checked = subprocess.run(["sha256sum", "-c", "manifest-sha256.txt"], cwd=root, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    [token] = sorted((root / "data/timestamps").glob("*.tsr"))
    stem = token.name[: -len(".tsr")]
    ts = subprocess.run(
        ["openssl", "ts", "-verify", "-in", token.name, "-data", f"{stem}.txt", "-CAfile", str(pki.ca_cert)],
        cwd=token.parent,
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in ts.stdout, ts.stdout + ts.stderr
    waczed = subprocess.run([WACZ, "validate", "-f", "data/captures.wacz"], cwd=root, capture_output=True, text=True)
    assert waczed.returncode == 0, waczed.stdout + waczed.stderr

    # Every step is in the person's custody slice, in order.
    kinds = [json.loads(line).get("kind") for line in (root / "data/custody.jsonl").read_text().splitlines()]
    steps = [k for k in kinds if k]
    assert steps[:2] == ["captured", "captured"] and "timestamped" in steps and "rechecked" in steps
    assert steps[-1] == "exported" and steps.index("timestamped") < steps.index("rechecked")

    # One changed byte in any payload file is named.
    victim = root / "data" / "items.jsonl"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    failed = monitor("evidence", "verify", str(broken), "--ca", str(pki.ca_cert))
    assert failed.returncode == 1 and victim.name in (failed.stdout + failed.stderr)
