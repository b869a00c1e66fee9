"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import monitor.models  # noqa: F401
from monitor.db import alembic_config, get_engine


def test_the_migrations_have_one_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"branched migrations: {heads}"


# SQLite cannot reflect ix_mention_at; the next test checks it by name instead.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_the_migrated_schema_matches_the_models(db_url):
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
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
