"""Alembic environment: runs migrations on the URL that ``monitor.core.db.alembic_config`` set."""

from alembic import context
from sqlmodel import SQLModel

import monitor.core.models  # noqa: F401  (registers the tables)
from monitor.core.db import get_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, DROP, rename). With foreign keys enforced,
            # dropping a parent table such as ``source`` fails once child rows exist, so SQLite's
            # own ALTER TABLE procedure turns them off first; the PRAGMA only acts outside a transaction.
            _foreign_keys(connection, "OFF")
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                _foreign_keys(connection, "ON")


def _foreign_keys(connection, state: str) -> None:
    """Turn SQLite's foreign-key enforcement on or off for this pooled connection."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={state}")
    connection.commit()


run_migrations_online()
