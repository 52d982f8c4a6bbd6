"""Alembic environment: runs migrations against Hamkar's configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.db import Base, make_engine
from app.models import import_all_models
from app.settings import Settings

import_all_models()
target_metadata = Base.metadata

# Indexes that migrations shape differently on SQLite on purpose (see the revision that made
# each): the model declares the portable (or PostgreSQL) form, and the SQLite comparison leaves
# them alone.
SQLITE_SHAPED_INDEXES = frozenset(
    {
        "ix_mail_envelope_owner_date",  # 0830: covers search_text
        "ix_mail_envelope_search_trgm",  # 0840: pg_trgm; SQLite has the FTS5 table below
    }
)
# 0840's FTS5 trigram table over mail_envelope.search_text and the shadow tables FTS5 keeps
# its index in (mail_envelope_fts_data, _idx, _docsize, _config): no model declares them.
SQLITE_FTS_TABLE = "mail_envelope_fts"


def _compared_on_sqlite(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and name is not None and name.startswith(SQLITE_FTS_TABLE):
        return False
    return not (type_ == "index" and name in SQLITE_SHAPED_INDEXES)


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced, dropping
        # a table that other rows reference fails. Off for the migration, checked afterwards.
        # Straight to sqlite3: through SQLAlchemy it would open the transaction first, and
        # SQLite ignores this pragma inside a transaction.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
        include_object=_compared_on_sqlite if sqlite else None,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def run_migrations_online() -> None:
    """Migrate the database given by the caller's connection, else by Settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.attributes.get("url")
    settings = Settings(database_url=url) if url else Settings()
    engine = make_engine(settings, transactional_ddl=True)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `hamkar migrate`.")
run_migrations_online()
