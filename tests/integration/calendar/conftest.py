"""A migrated database session on SQLite and on PostgreSQL, for calendar storage tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.live import migrated_database


@pytest.fixture(params=["sqlite", "postgresql"])
def calendar_db(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Session]:
    with migrated_database(request.param, data_dir) as url:
        engine = create_engine(url)
        with Session(engine) as session:
            yield session
        engine.dispose()
