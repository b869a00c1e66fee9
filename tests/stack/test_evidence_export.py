"""Export and verify: a zipped BagIt bag that sha256sum, openssl, wacz and our verifier accept,
and that fails verification, naming the file, when one byte under data/ changes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import bagit
import pytest
from sqlmodel import Session

from monitor.core import db
from monitor.core.config_file import EvidenceEntry
from monitor.core.storage.custody import append_event
from monitor.evidence.stamp import stamp_pending
from monitor.evidence.verify import BundleInvalid, verify_bundle
from tests.support import cli
from tests.support import custody as helpers
from tests.support.tsa import LocalTSA, make_pki

WACZ = str(Path(sys.executable).with_name("wacz"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def monitor(*args: str) -> subprocess.CompletedProcess:
    return cli.monitor(*args, timeout=180)


@pytest.fixture
def bundle(settings, pki, tmp_path, monkeypatch) -> Path:
    """Alice's bundle: two captures (a page and a screenshot) stamped at two TSAs, Bob's events between."""
    monkeypatch.setenv("MONITOR_ALLOW_EMPTY_CONFIG", "true")  # the config names none of the test's people
    settings.config.write_text("")
    with Session(db.get_engine(settings.database_url), expire_on_commit=False) as session:
        alice, bob = helpers.person(session, "Alice A"), helpers.person(session, "Bob B")
        mention = helpers.add_mention(
            session,
            people=[alice],
            url="http://127.0.0.1/p/1",
            text="<html><head><title>Alice A</title></head><body>Alice A detained</body></html>",
        )
        page = helpers.add_capture(session, settings, mention)
        shot = helpers.add_capture(session, settings, mention, kind="screenshot", data=b"\x89PNG\r\n\x1a\nfake")
        other = helpers.add_mention(session, people=[bob], url="http://127.0.0.1/p/2", text="Bob B secret")
        helpers.add_capture(session, settings, other)
        append_event(session, "captured", "monitor", f"capture:{page.id}", person_ids=[alice.id])
        append_event(
            session, "labelled", "user:7", f"mention:{other.id}", person_ids=[bob.id], details={"label": "bobs-label"}
        )
        append_event(session, "captured", "monitor", f"capture:{shot.id}", person_ids=[alice.id])
        session.commit()
        with LocalTSA(pki) as one, LocalTSA(pki) as two:
            run = stamp_pending(
                session, settings=settings, evidence=EvidenceEntry(tsa=[one.url, two.url], tsa_ca_file=str(pki.ca_cert))
            )
        assert run.tokens == 2
    out = tmp_path / "alice.zip"
    done = monitor("evidence", "export", "--person", "Alice A", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "1 mentions, 2 captures, 2 timestamp tokens" in done.stdout
    return out


def _unzip(bundle: Path, into: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(into)
    return into


def test_the_bundle_has_the_contract_layout(bundle):
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {
        "bagit.txt",
        "manifest-sha256.txt",
        "data/VERIFY.md",
        "data/captures.wacz",
        "data/items.jsonl",
        "data/custody.jsonl",
    } <= names
    stems = {n[len("data/timestamps/") : -len(".tsr")] for n in names if n.endswith(".tsr")}
    assert len(stems) == 2  # one manifest, two TSAs: two names
    for stem in stems:
        assert {f"data/timestamps/{stem}.txt", f"data/timestamps/{stem}.chain.pem"} <= names
    assert any(n.startswith("data/warc/") and n.endswith(".warc.gz") for n in names)
    assert any(n.startswith("data/media/") and n.endswith(".png") for n in names)


def test_outside_tools_accept_the_bundle(bundle, tmp_path):
    root = _unzip(bundle, tmp_path / "x")
    checked = subprocess.run(
        ["sha256sum", "-c", "manifest-sha256.txt"], cwd=root, capture_output=True, text=True, check=False, timeout=60
    )
    assert checked.returncode == 0 and checked.stdout.count(": OK") >= 9, checked.stdout + checked.stderr
    for tsr in sorted((root / "data/timestamps").glob("*.tsr")):
        stem = tsr.name[:-4]
        done = subprocess.run(
            [
                "openssl",
                "ts",
                "-verify",
                "-in",
                tsr.name,
                "-data",
                f"{stem}.txt",
                "-CAfile",
                f"{stem}.chain.pem",
                "-untrusted",
                f"{stem}.chain.pem",
            ],
            cwd=tsr.parent,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert "Verification: OK" in done.stdout, done.stderr
    waczed = subprocess.run(
        [WACZ, "validate", "-f", "data/captures.wacz"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert waczed.returncode == 0 and "is valid" in waczed.stdout, waczed.stdout + waczed.stderr


def test_our_verifier_accepts_it_and_the_slice_hides_bob(bundle, tmp_path, pki):
    done = monitor("evidence", "verify", str(bundle))
    assert done.returncode == 0, done.stderr
    assert "2 timestamp tokens" in done.stdout and "Test TSA Root CA" in done.stdout
    assert monitor("evidence", "verify", str(bundle), "--ca", str(pki.ca_cert)).returncode == 0
    custody = _unzip(bundle, tmp_path / "x").joinpath("data/custody.jsonl").read_text()
    kinds = [json.loads(line).get("kind") for line in custody.splitlines()]
    assert kinds == ["captured", None, "captured", "timestamped", "exported"]
    assert "bobs-label" not in custody and "user:7" not in custody
    items = (tmp_path / "x/data/items.jsonl").read_text()
    assert "Alice A detained" in items and "Bob B" not in items


def test_a_token_from_another_ca_fails_against_the_given_roots(bundle, tmp_path):
    stranger = make_pki(tmp_path / "stranger", name="Stranger")
    done = monitor("evidence", "verify", str(bundle), "--ca", str(stranger.ca_cert))
    assert done.returncode == 1 and "data/timestamps/" in done.stderr and ".tsr" in done.stderr


def _rezip(root: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(root).as_posix())
    return out


def test_one_flipped_byte_in_any_payload_file_is_named(bundle, tmp_path):
    payload = sorted(n for n in zipfile.ZipFile(bundle).namelist() if n.startswith("data/"))
    assert len(payload) >= 9
    for number, name in enumerate(payload):
        root = _unzip(bundle, tmp_path / f"flip{number}")
        target = root / name
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        flipped = _rezip(root, tmp_path / f"flip{number}.zip")
        if number == 0:  # the command, once; the rest in process (a subprocess each is slow)
            done = monitor("evidence", "verify", str(flipped))
            assert (
                done.returncode == 1
                and done.stderr == f"FAILED: {name}: its SHA-256 does not match manifest-sha256.txt\n"
            )
        with pytest.raises(BundleInvalid, match=f"^{re.escape(name)}: its SHA-256 does not match"):
            verify_bundle(flipped)


def test_a_broken_custody_chain_is_named_even_in_a_rebuilt_bag(bundle, tmp_path):
    root = _unzip(bundle, tmp_path / "x")
    path = root / "data/custody.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[0]["actor"] = "somebody else"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    bagit.Bag(str(root)).save(manifests=True)  # a forger rewrites the bag's manifests too
    done = monitor("evidence", "verify", str(_rezip(root, tmp_path / "forged.zip")))
    assert done.returncode == 1 and "data/custody.jsonl: custody event 1" in done.stderr


def test_a_swapped_capture_is_named_even_in_a_rebuilt_bag(bundle, tmp_path):
    root = _unzip(bundle, tmp_path / "x")
    warc = next((root / "data/warc").glob("*.warc.gz"))
    warc.write_bytes(helpers.warc_record("http://127.0.0.1/p/1", b"<html>something else</html>"))
    bagit.Bag(str(root)).save(manifests=True)
    done = monitor("evidence", "verify", str(_rezip(root, tmp_path / "forged.zip")))
    assert done.returncode == 1 and f"data/warc/{warc.name}" in done.stderr


def test_a_zip_that_escapes_its_folder_is_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../outside.txt", "x")
    done = monitor("evidence", "verify", str(evil))
    assert done.returncode == 1 and "outside the bundle" in done.stderr
    assert not (tmp_path.parent / "outside.txt").exists()


def test_not_a_zip_is_one_line(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    done = monitor("evidence", "verify", str(junk))
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "not a readable zip" in done.stderr


def test_exporting_an_unknown_person_is_one_line(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("MONITOR_ALLOW_EMPTY_CONFIG", "true")
    settings.config.write_text("")
    done = monitor("evidence", "export", "--person", "Nobody", "--out", str(tmp_path / "x.zip"))
    assert done.returncode == 1 and "no tracked person named 'Nobody'" in done.stderr
    assert not (tmp_path / "x.zip").exists()
