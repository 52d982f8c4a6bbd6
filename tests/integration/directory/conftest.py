"""A migrated SQLite database with two organizations, for directory rule tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.directory import service
from app.directory.models import Organization
from tests.integration.directory.databases import migrated_sqlite_session


@pytest.fixture
def db(data_dir: Path) -> Iterator[Session]:
    """A session on a fresh, fully migrated SQLite database."""
    with migrated_sqlite_session(data_dir) as session:
        yield session


@pytest.fixture
def orgs(db: Session) -> tuple[Organization, Organization]:
    """Acme (acme.test, acme.example) and Other (other.test)."""
    acme = service.create_organization(db, name="Acme", slug="acme", domains=["acme.test"])
    other = service.create_organization(db, name="Other", slug="other", domains=["other.test"])
    return acme, other
