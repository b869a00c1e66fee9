"""RFC 3161 stamping at a local TSA (openssl ts -reply on loopback), through the guarded client."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from monitor.core import db
from monitor.core.config_file import EvidenceEntry
from monitor.core.models_custody import CaptureStamp, CustodyEvent, StampManifest, StampToken
from monitor.evidence.stamp import (
    ManifestError,
    build_manifest,
    parse_manifest,
    stamp_pending,
)
from tests.support import cli
from tests.support import custody as helpers
from tests.support.tsa import LocalTSA, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def _captures(session: Session, settings, count: int) -> list:
    alice = helpers.person(session, "Alice A")
    out = []
    for number in range(count):
        mention = helpers.add_mention(
            session, people=[alice], url=f"http://127.0.0.1/p/{number}", text=f"post {number}"
        )
        out.append(helpers.add_capture(session, settings, mention))
    session.commit()
    return out


def test_pending_captures_are_stamped_at_every_tsa_once(settings, pki):
    with Session(db.get_engine(settings.database_url)) as session, LocalTSA(pki) as one, LocalTSA(pki) as two:
        captures = _captures(session, settings, 3)
        evidence = EvidenceEntry(tsa=[one.url, two.url], tsa_ca_file=str(pki.ca_cert))
        run = stamp_pending(session, settings=settings, evidence=evidence)
        assert (run.captures, run.tokens, run.errors) == (3, 2, [])
        manifest = session.get(StampManifest, run.manifest_id)
        assert parse_manifest(manifest.body.encode()) == sorted({c.sha256 for c in captures})
        tokens = session.exec(select(StampToken)).all()
        assert sorted(t.tsa_url for t in tokens) == sorted([one.url, two.url])
        assert all("BEGIN CERTIFICATE" in t.chain_pem and t.gen_time for t in tokens)
        assert len(session.exec(select(CaptureStamp)).all()) == 3
        assert session.exec(select(CustodyEvent.kind)).all() == ["timestamped"]
        # A second run finds nothing new and asks no TSA.
        again = stamp_pending(session, settings=settings, evidence=evidence)
        assert again.manifest_id is None and len(one.queries) == 1 and len(two.queries) == 1


def test_a_token_verifies_with_openssl(settings, pki, tmp_path):
    with Session(db.get_engine(settings.database_url)) as session, LocalTSA(pki) as tsa:
        _captures(session, settings, 1)
        run = stamp_pending(
            session, settings=settings, evidence=EvidenceEntry(tsa=[tsa.url], tsa_ca_file=str(pki.ca_cert))
        )
        token = session.exec(select(StampToken)).one()
        (tmp_path / "t.tsr").write_bytes(token.response)
        (tmp_path / "t.txt").write_bytes(session.get(StampManifest, run.manifest_id).body.encode())
        (tmp_path / "t.pem").write_text(token.chain_pem)
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-in", "t.tsr", "-data", "t.txt", "-CAfile", "t.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "Verification: OK" in done.stdout, done.stderr


def test_a_tsa_that_fails_stores_nothing_and_the_next_run_retries(settings, pki):
    with Session(db.get_engine(settings.database_url)) as session:
        _captures(session, settings, 2)
        with LocalTSA(pki, status=500) as broken:
            run = stamp_pending(session, settings=settings, evidence=EvidenceEntry(tsa=[broken.url]))
        assert run.manifest_id is None and "HTTP 500" in run.errors[0]
        assert session.exec(select(StampManifest)).all() == [] and session.exec(select(CaptureStamp)).all() == []
        with LocalTSA(pki) as tsa:
            run = stamp_pending(
                session, settings=settings, evidence=EvidenceEntry(tsa=[tsa.url], tsa_ca_file=str(pki.ca_cert))
            )
        assert run.captures == 2 and run.tokens == 1


def test_a_tsa_whose_certificates_the_parser_refuses_is_asked_again_without_them(settings, pki, tmp_path):
    # openssl sends TSA and CA certificates as a SET OF out of DER order; rfc3161-client refuses it.
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.ca_cert.read_bytes() + pki.tsa_cert.read_bytes())
    with Session(db.get_engine(settings.database_url)) as session, LocalTSA(pki, include_ca=True) as tsa:
        _captures(session, settings, 1)
        run = stamp_pending(session, settings=settings, evidence=EvidenceEntry(tsa=[tsa.url], tsa_ca_file=str(roots)))
        assert run.tokens == 1 and run.errors == [] and len(tsa.queries) == 2


def test_a_concurrent_run_that_stored_first_wins_and_nothing_is_doubled(settings, pki, monkeypatch):
    from monitor.evidence import stamp as stamp_module

    real_tokens, raced = stamp_module._tokens, []

    def tokens_while_another_run_finishes(body, **options):
        got = real_tokens(body, **options)
        if not raced:  # the first run: a second one stores everything before it does
            raced.append(True)
            with Session(db.get_engine(settings.database_url)) as other:
                assert stamp_pending(other, settings=settings, evidence=evidence).captures == 2
        return got

    monkeypatch.setattr(stamp_module, "_tokens", tokens_while_another_run_finishes)
    with Session(db.get_engine(settings.database_url)) as session, LocalTSA(pki) as tsa:
        evidence = EvidenceEntry(tsa=[tsa.url], tsa_ca_file=str(pki.ca_cert))
        _captures(session, settings, 2)
        run = stamp_pending(session, settings=settings, evidence=evidence)
        assert run.manifest_id is None and "concurrent run" in run.errors[0]
        assert len(session.exec(select(StampManifest)).all()) == 1
        assert len(session.exec(select(CaptureStamp)).all()) == 2
        assert len(session.exec(select(CustodyEvent)).all()) == 1


def test_an_unreadable_ca_file_is_one_error_and_nothing_stored(settings, pki, tmp_path):
    with Session(db.get_engine(settings.database_url)) as session, LocalTSA(pki) as tsa:
        _captures(session, settings, 1)
        run = stamp_pending(
            session, settings=settings, evidence=EvidenceEntry(tsa=[tsa.url], tsa_ca_file=str(tmp_path / "no.pem"))
        )
        assert run.manifest_id is None and "tsa_ca_file" in run.errors[0] and tsa.queries == []


def test_a_tsa_on_a_refused_address_is_never_asked(settings, pki, monkeypatch):
    monkeypatch.setattr(settings, "allow_private_networks", False)
    with Session(db.get_engine(settings.database_url)) as session, LocalTSA(pki) as tsa:
        _captures(session, settings, 1)
        run = stamp_pending(session, settings=settings, evidence=EvidenceEntry(tsa=[tsa.url]))
        assert run.manifest_id is None and tsa.queries == [] and "127.0.0.1" in run.errors[0]


def test_the_stamp_command_reads_the_evidence_table(settings, pki, monkeypatch, tmp_path):
    monkeypatch.setenv("MONITOR_ALLOW_EMPTY_CONFIG", "true")  # the config names none of the test's people
    with Session(db.get_engine(settings.database_url)) as session:
        _captures(session, settings, 1)
    config = tmp_path / "conf" / "monitor.toml"
    config.parent.mkdir()
    (config.parent / "roots.pem").write_bytes(pki.ca_cert.read_bytes())
    with LocalTSA(pki) as tsa:
        # A relative tsa_ca_file is read beside the config file, not in the working folder.
        config.write_text(f'[evidence]\ntsa = ["{tsa.url}"]\ntsa_ca_file = "roots.pem"\n')
        done = cli.monitor("evidence", "stamp", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "stamped 1 captures" in done.stdout and len(tsa.queries) == 1


def test_the_beat_task_stamps_too(settings, pki, monkeypatch):
    from workers import tasks

    monkeypatch.setattr(settings, "allow_empty_config", True)
    with Session(db.get_engine(settings.database_url)) as session:
        _captures(session, settings, 2)
    with LocalTSA(pki) as tsa:
        settings.config.write_text(f'[evidence]\ntsa = ["{tsa.url}"]\ntsa_ca_file = "{pki.ca_cert}"\n')
        assert tasks.stamp_evidence.run() == 2


def test_the_stamp_task_is_on_the_beat_hourly(settings):
    from workers.app import create_app

    entry = create_app().conf.beat_schedule["stamp-evidence"]
    assert entry == {"task": "workers.tasks.stamp_evidence", "schedule": 3600.0}


def test_an_unknown_evidence_key_is_a_config_error(tmp_path):
    from monitor.core.config_file import ConfigError, parse_watchlist

    with pytest.raises(ConfigError, match="evidence.*tsas"):
        parse_watchlist({"evidence": {"tsas": []}}, "monitor.toml")
    assert parse_watchlist({}, "m.toml").evidence.recheck == ["1h", "1d", "7d", "30d"]


_sha = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@given(st.lists(_sha, max_size=20))
def test_manifest_round_trips(hashes):
    assert parse_manifest(build_manifest(hashes)) == sorted(set(hashes))


@given(st.binary(max_size=300))
def test_a_manifest_parser_refuses_garbage_with_one_line(data):
    try:
        lines = parse_manifest(data)
    except ManifestError as exc:
        assert "\n" not in str(exc)
    else:
        assert build_manifest(lines) == data
