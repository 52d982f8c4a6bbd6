"""Alembic environment: runs migrations against Hamkar's configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.db import Base, make_engine
from app.models import import_all_models
from app.settings import Settings

import_all_models()
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the database given by the caller's connection, else by Settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.attributes.get("url")
    settings = Settings(database_url=url) if url else Settings()
    engine = make_engine(settings)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `hamkar migrate`.")
run_migrations_online()
