"""A live server and HTTP clients for the files tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.live import serve


@pytest.fixture(params=["sqlite", "postgresql"])
def files_settings(
    request: pytest.FixtureRequest, migrated_settings: Settings
) -> Iterator[Settings]:
    """Migrated settings over each database: SQLite, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield migrated_settings
        return
    from app.migrate import upgrade
    from tests.conftest import PG_ADMIN_URL

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hamkar_files_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}).", pytrace=False)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    settings = migrated_settings.model_copy(update={"database_url": url})
    upgrade(settings)
    yield settings
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def server(files_settings: Settings) -> Iterator[str]:
    """The real app on a free loopback port."""
    with serve(files_settings) as base_url:
        yield base_url


def dav_client(base_url: str, email: str = "alice@example.com") -> httpx.Client:
    """A WebDAV client authenticated with the mail password over HTTP Basic."""
    return httpx.Client(base_url=base_url + "/webdav", auth=(email, TEST_PASSWORD), timeout=60)


@pytest.fixture
def alice(server: str) -> Iterator[httpx.Client]:
    """Alice's WebDAV client."""
    with dav_client(server) as client:
        yield client


@pytest.fixture
def bob(server: str) -> Iterator[httpx.Client]:
    """Bob's WebDAV client."""
    with dav_client(server, "bob@example.com") as client:
        yield client
