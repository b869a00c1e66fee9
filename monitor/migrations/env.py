"""Alembic environment: runs migrations on the URL that ``monitor.db.alembic_config`` set."""

import warnings

from alembic import context
from sqlalchemy.exc import SAWarning
from sqlmodel import SQLModel

import monitor.models  # noqa: F401  (registers the tables)
from monitor.db import get_engine

# SQLite batch rebuilds cannot carry an index on an expression; 0009_mention_at recreates the
# one index that is lost, so the warning each such rebuild prints says nothing new.
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
