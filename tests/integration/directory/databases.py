"""Sessions on the databases the directory and admin tests work on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory
from app.models import import_all_models
from app.settings import Settings
from tests.conftest import migrated_sqlite


@contextmanager
def session_on(settings: Settings) -> Iterator[Session]:
    """A session on the settings' database (the mail stack's one: commit to make changes seen)."""
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


@contextmanager
def migrated_sqlite_session(data_dir: Path) -> Iterator[Session]:
    """A session on a fresh SQLite database in ``data_dir``, migrated to the newest revision."""
    import_all_models()
    settings = Settings(data_dir=data_dir, database_url=None)
    migrated_sqlite(data_dir / "hamkar.db")
    with session_on(settings) as session:
        yield session
