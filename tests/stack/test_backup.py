"""``monitor backup`` / ``monitor restore`` (issue 20), run as a user runs them (subprocesses):
round trips SQLite→SQLite, PostgreSQL→PostgreSQL and PostgreSQL→SQLite with every row back;
no readable name in the file; a wrong passphrase or a damaged file is one line, exit 1, and
nothing written. Property tests for the container and the record stream."""

from __future__ import annotations

import io
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel, select

from monitor.backup import payload
from monitor.backup.crypto import BackupError, EncryptingWriter, decrypted_chunks
from monitor.backup.restore import non_empty_tables
from monitor.core import db as monitor_db
from monitor.core.models import AuditEntry, Mention, User, utcnow
from tests.support import cli
from tests.support.access import ADMIN, HIDDEN_NAME, POLICE_REVIEWER, build_world, db

PG_URL = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSPHRASE = "a long enough passphrase"
CONFIG = '[[person]]\nname = "Boris Border"\ngroups = ["Border cases"]\n'


def run(*args: str, env: dict, input: str = PASSPHRASE) -> subprocess.CompletedProcess:
    return cli.monitor(*args, input=input + "\n", env=env, timeout=300)


def _admin() -> sa.Engine:
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture
def target_url(request, tmp_path: Path):
    """An empty, migrated database of the kind ``request.param`` names."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored' / 'monitor.core.db'}"
        monitor_db.upgrade(url)
        yield url
        return
    name = f"monitor_restore_{uuid.uuid4().hex[:12]}"
    with _admin().connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("pg_template")}"')
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    monitor_db.get_engine(url).dispose()
    with _admin().connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _populate() -> None:
    """The access tests' world, a label and an audit row."""
    world = build_world()
    with db() as session:
        mention = session.get(Mention, world.border_mention)
        mention.label, mention.status, mention.review_state = "news", "confirmed", "reviewed"
        admin = session.exec(select(User).where(User.email == ADMIN)).one()
        session.add(
            AuditEntry(
                at=utcnow(),
                user_id=admin.id,
                action="label",
                target=f"mention:{mention.id}",
                before={"label": None},
                after={"label": "news"},
            )
        )


def _dump(url: str) -> dict[str, list]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = {}
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            found[table.name] = [[payload.encode(v) for v in row] for row in rows]
    engine.dispose()
    return found


def _env(settings, **changes) -> dict:
    return {**os.environ, **changes}


def _backup(settings, tmp_path: Path) -> Path:
    settings.config.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "monitor.backup"
    done = run("backup", "--out", str(out), "--passphrase-stdin", env=_env(settings))
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(
    ("db_url", "target_url"),
    [("sqlite", "sqlite"), ("postgresql", "postgresql"), ("postgresql", "sqlite")],
    indirect=True,
)
def test_a_backup_restores_every_row_into_an_empty_database(settings, tmp_path, target_url):
    _populate()
    capture = os.urandom(3 * payload.FILE_PIECE // 2)  # an evidence file spanning two pieces
    (settings.data_dir / "evidence" / "2026").mkdir(parents=True)
    (settings.data_dir / "evidence" / "2026" / "capture.warc.gz").write_bytes(capture)
    out = _backup(settings, tmp_path)
    assert out.stat().st_mode & 0o777 == 0o600
    restored = tmp_path / "elsewhere"
    env = _env(
        settings,
        MONITOR_DATABASE_URL=target_url,
        MONITOR_CONFIG=str(restored / "monitor.toml"),
        MONITOR_DATA_DIR=str(restored / "data"),
    )
    done = run("restore", str(out), "--passphrase-stdin", env=env)
    assert done.returncode == 0, done.stderr
    before, after = _dump(settings.database_url), _dump(target_url)
    assert after == before
    assert len(after["mention"]) == 4 and len(after["user"]) == 3 and len(after[AuditEntry.__tablename__]) == 1
    assert any("news" in row for row in after["mention"]) and len(after["person_group"]) == 2
    assert (restored / "monitor.toml").read_text(encoding="utf-8") == CONFIG
    assert (restored / "data" / "secret_key").read_text() == settings.resolved_secret_key()
    assert (restored / "data" / "evidence" / "2026" / "capture.warc.gz").read_bytes() == capture
    # Ids go on after the restored ones (PostgreSQL's sequences were moved past them).
    with Session(sa.create_engine(target_url, poolclass=sa.pool.NullPool)) as session:
        user = User(email="new@example.org", password_hash="x", created_at=utcnow())
        session.add(user)
        session.commit()
        assert user.id == 4
    again = run("restore", str(out), "--passphrase-stdin", env=env)
    assert again.returncode == 1 and "not empty" in again.stderr and len(again.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_backup_file_holds_no_readable_name(settings, tmp_path):
    _populate()
    data = _backup(settings, tmp_path).read_bytes()
    for secret in (HIDDEN_NAME, "Alice Police", POLICE_REVIEWER, "Border secret hearing", "Border cases"):
        assert secret.encode() not in data and secret.encode("utf-16-le") not in data


def _flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("db_url", "target_url"), [("sqlite", "postgresql"), ("sqlite", "sqlite")], indirect=True)
@pytest.mark.parametrize("damage", ["wrong passphrase", "flipped byte", "cut short", "flipped header"])
def test_a_wrong_passphrase_or_a_damaged_file_is_one_line_and_writes_nothing(settings, tmp_path, target_url, damage):
    _populate()
    out = _backup(settings, tmp_path)
    passphrase = PASSPHRASE
    if damage == "wrong passphrase":
        passphrase = "another long passphrase"
    elif damage == "flipped byte":
        _flip(out, out.stat().st_size // 2)
    elif damage == "flipped header":
        _flip(out, 30)
    else:
        out.write_bytes(out.read_bytes()[:-40])
    restored = tmp_path / "elsewhere"
    env = _env(
        settings,
        MONITOR_DATABASE_URL=target_url,
        MONITOR_CONFIG=str(restored / "monitor.toml"),
        MONITOR_DATA_DIR=str(restored / "data"),
    )
    done = run("restore", str(out), "--passphrase-stdin", env=env, input=passphrase)
    assert done.returncode == 1, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: restore from"), done.stderr
    engine = sa.create_engine(target_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert non_empty_tables(conn) == []
    engine.dispose()
    assert not (restored / "monitor.toml").exists() and not (restored / "data" / "secret_key").exists()


# Property tests: the container and the record stream (a tiny scrypt cost keeps them fast).


def _seal(plain_parts: list[bytes], passphrase: str) -> bytes:
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, passphrase, n=2, r=1, p=1)
    for part in plain_parts:
        writer.write(part)
    writer.close()
    return sink.getvalue()


@given(st.lists(st.binary(max_size=3000), max_size=5), st.text(min_size=1, max_size=20))
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_container_returns_exactly_what_was_sealed(parts, passphrase):
    sealed = _seal(parts, passphrase)
    assert b"".join(decrypted_chunks(io.BytesIO(sealed), passphrase)) == b"".join(parts)


@given(st.binary(min_size=1, max_size=2000), st.data())
@hsettings(max_examples=40, deadline=None)
def test_any_changed_byte_or_cut_fails_with_a_backup_error(plain, data):
    sealed = _seal([plain], "passphrase!")
    if data.draw(st.booleans()):
        position = data.draw(st.integers(0, len(sealed) - 1))
        damaged = (
            sealed[:position] + bytes([sealed[position] ^ data.draw(st.integers(1, 255))]) + sealed[position + 1 :]
        )
    else:
        damaged = sealed[: data.draw(st.integers(0, len(sealed) - 1))]
    with pytest.raises(BackupError):
        b"".join(decrypted_chunks(io.BytesIO(damaged), "passphrase!"))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(), lambda inner: st.lists(inner, max_size=3), max_leaves=8
)


@given(st.lists(st.fixed_dictionaries({"kind": st.just("row"), "r": st.lists(JSONISH, max_size=4)}), max_size=30))
@hsettings(max_examples=40, deadline=None)
def test_the_record_stream_reads_back_what_was_written_with_its_end(records):
    sink = io.BytesIO()
    payload.write_records(sink, records)
    read = list(payload.read_records([sink.getvalue()]))
    assert read == [*records, {"kind": "end", "rows": len(records)}]


@given(st.binary(max_size=500))
@hsettings(max_examples=60, deadline=None)
def test_garbage_in_the_record_stream_is_a_backup_error_or_nothing(garbage):
    try:
        records = list(payload.read_records([garbage]))
    except BackupError:
        return
    assert all(isinstance(r, dict) for r in records)


def test_a_record_larger_than_a_piece_inflates_in_bounded_steps_and_reads_back():
    records = [{"kind": "row", "r": ["x" * (3 * payload.INFLATE_PIECE), 1]}, {"kind": "row", "r": ["y"]}]
    sink = io.BytesIO()
    payload.write_records(sink, records)
    assert list(payload.read_records([sink.getvalue()])) == [*records, {"kind": "end", "rows": 2}]
