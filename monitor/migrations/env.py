"""Alembic environment: runs migrations on the URL that ``monitor.db.alembic_config`` set."""

from alembic import context
from sqlmodel import SQLModel

import monitor.models  # noqa: F401  (registers the tables)
from monitor.db import get_engine

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
