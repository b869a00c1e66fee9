"""The PostgreSQL test databases are reused (``tests/support/pg_reset``): a used copy is handed
out again only when it is the template again, rows, sequences and schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from monitor.core.db import session_scope
from monitor.core.models import Person
from monitor.core.storage.custody import append_event
from tests.support import databases, pg_reset

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def reset(pg_template) -> pg_reset.Reset:
    return pg_reset.Reset(databases.pg_url(pg_template))


def _count(url: str, table: str) -> int:
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def test_a_used_copy_is_emptied_and_its_ids_start_again_even_past_the_append_only_log(db_url, reset):
    with session_scope(db_url) as session:
        session.add_all([Person(name="Ana"), Person(name="Bo")])
        append_event(session, "viewed", "test", "person:1")
    assert _count(db_url, "person") == 2 and _count(db_url, "custody_event") == 1

    assert reset.apply(db_url)
    assert _count(db_url, "person") == _count(db_url, "custody_event") == 0
    assert _count(db_url, "alembic_version") == 1  # the template's own rows come back
    with session_scope(db_url) as session:
        again = Person(name="Cy")
        session.add(again)
        session.flush()
        assert again.id == 1


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE person ADD COLUMN extra text",
        "CREATE INDEX ix_extra ON person (active)",
        "ALTER TABLE custody_event DISABLE TRIGGER custody_event_no_change",
        "CREATE TABLE extra (id int)",
        "DROP TABLE matcher_cache",
    ],
)
def test_a_copy_whose_schema_a_test_changed_is_not_reused(db_url, reset, change):
    with sa.create_engine(db_url, poolclass=sa.pool.NullPool).begin() as conn:
        conn.exec_driver_sql(change)
    assert not reset.apply(db_url)
