"""A migrated SQLite database with two organizations, for directory rule tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory
from app.directory import service
from app.directory.models import Organization
from app.migrate import alembic_config
from app.models import import_all_models
from app.settings import Settings


@pytest.fixture
def db(data_dir: Path) -> Iterator[Session]:
    """A session on a fresh, fully migrated SQLite database."""
    import_all_models()
    settings = Settings(data_dir=data_dir, database_url=None)
    command.upgrade(alembic_config(settings.effective_database_url), "head")
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def orgs(db: Session) -> tuple[Organization, Organization]:
    """Acme (acme.test, acme.example) and Other (other.test)."""
    acme = service.create_organization(db, name="Acme", slug="acme", domains=["acme.test"])
    other = service.create_organization(db, name="Other", slug="other", domains=["other.test"])
    return acme, other
