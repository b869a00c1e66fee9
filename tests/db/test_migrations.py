"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import ast
import importlib.util
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import SAWarning
from sqlmodel import SQLModel

import monitor.core.models  # noqa: F401
from monitor.core import db
from monitor.core.db import MIGRATIONS_DIR, alembic_config, get_engine

VERSIONS = Path(MIGRATIONS_DIR) / "versions"


def _chain() -> list:
    """The revision scripts from base to head."""
    return list(reversed(list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions())))


def test_the_migrations_have_one_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"branched migrations: {heads}"


# SQLite cannot reflect ix_mention_at; the next test checks it by name instead.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migrated_schema_matches_the_models(db_url):
    with get_engine(db_url).connect() as connection:
        # Full-text search (migration 0022): the FTS5 tables, PostgreSQL's column and index are no model's.
        fts = lambda name, kind, parent: (
            not (name or "").startswith(("mention_fts", "ix_mention_fulltext", "search_document"))
        )
        context = MigrationContext.configure(connection, opts={"compare_type": False, "include_name": fts})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_migrated_database_has_every_index_the_models_name(db_url):
    # compare_metadata cannot see indexes on expressions (ix_mention_at), so list them by name.
    named = {index.name for table in SQLModel.metadata.tables.values() for index in table.indexes}
    with get_engine(db_url).connect() as connection:
        if connection.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        present = set(connection.execute(sa.text(query)).scalars())
    assert "ix_mention_at" in named and named - present == set()


def test_the_head_read_from_the_last_file_is_alembics_one_head():
    # upgrade() skips Alembic when the database stores this revision: it must be the real head.
    assert [db.head_revision()] == ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()


def test_upgrade_brings_a_database_one_revision_behind_to_the_head(db_url):
    # The fast path must not mistake an older database for a current one.
    behind = _chain()[-2].revision
    command.downgrade(alembic_config(db_url), behind)
    with get_engine(db_url).connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == behind
    db.upgrade(db_url)
    with get_engine(db_url).connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == db.head_revision()


def test_upgrade_migrates_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    db.upgrade(url)
    with get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == db.head_revision()
        assert conn.exec_driver_sql("SELECT count(*) FROM mention").scalar_one() == 0
    get_engine(url).dispose()


def test_the_file_names_sort_in_chain_order():
    # Revision ids stay as databases in the field store them; only the file names carry the order.
    in_chain = [Path(script.path).name for script in _chain()]
    assert sorted(path.name for path in VERSIONS.glob("*.py")) == in_chain


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("*.py")), ids=lambda path: path.name)
def test_no_migration_imports_live_code(path):
    # An old migration must do tomorrow what it did the day it was written, whatever monitor becomes.
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0] if node.level == 0 else ".")
    assert imported and imported.isdisjoint({"monitor", "workers", "."})


def _snapshot(url: str) -> dict:
    """Tables, their columns (name, type, nullability) and every index by name, as the database reports them."""
    with get_engine(url).connect() as connection:
        inspector = sa.inspect(connection)
        tables = {
            table: sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table))
            for table in inspector.get_table_names()
        }
        # Indexes from the catalogue: the inspector skips (with a warning) indexes on expressions.
        if connection.dialect.name == "sqlite":
            query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()"
        indexes = sorted(tuple(row) for row in connection.execute(sa.text(query)))
    return {"tables": tables, "indexes": indexes}


def test_every_downgrade_runs_to_base_and_back_to_the_same_schema(db_url):
    fresh, config = _snapshot(db_url), alembic_config(db_url)
    with warnings.catch_warnings():
        # A SQLite rebuild that cannot carry an index warns; the migrations keep such indexes themselves.
        warnings.simplefilter("error", SAWarning)
        command.downgrade(config, "0008_clusters")
        # 0009_mention_at's downgrade is a no-op: the index belongs to 0002_digest, below it.
        assert ("mention", "ix_mention_at") in _snapshot(db_url)["indexes"]
        command.downgrade(config, "base")
        assert set(_snapshot(db_url)["tables"]) == {"alembic_version"}
        command.upgrade(config, "head")
    assert _snapshot(db_url) == fresh


def _frozen_bands():
    """The band function 0008_clusters carries, loaded from its file as Alembic loads it."""
    path = next(VERSIONS.glob("*_clusters.py"))
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._bands


_LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZабвгдеёжзийклмнопрстуфхцчшщъыьэюяЁЖЗ"  # case round-trips
)
_words = st.lists(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8), max_size=40)


@settings(max_examples=200, deadline=None)
@given(title=_words, body=_words)
def test_the_frozen_bands_of_0008_have_the_layout_the_band_table_stores(title, body):
    bands = _frozen_bands()(" ".join(title), " ".join(body))
    if len(bands) == 0:
        return
    # 16 non-negative bigints, the band number in the top bits.
    assert [key >> 59 for key in bands] == list(range(16))
    assert all(0 <= key < 2**63 for key in bands)


@settings(max_examples=100, deadline=None)
@given(body=st.lists(st.text(_LETTERS, min_size=1, max_size=8), min_size=25, max_size=40))
def test_the_frozen_bands_of_0008_ignore_case_links_and_repost_prefixes(body):
    bands, text = _frozen_bands(), " ".join(body)
    assert len(bands("", text)) == 16
    assert bands("", text) == bands("", "Reposted: " + text.upper() + " https://example.org/x")
