"""A migrated database session on SQLite and on PostgreSQL, for calendar storage tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.migrate import alembic_config


@pytest.fixture(params=["sqlite", "postgresql"])
def calendar_db(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Session]:
    from alembic import command

    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'calendar.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()
    command.downgrade(alembic_config(url), "base")
