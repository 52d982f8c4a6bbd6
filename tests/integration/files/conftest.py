"""A live server and HTTP clients for the files tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.live import fresh_postgres, serve


@pytest.fixture(params=["sqlite", "postgresql"])
def files_settings(
    request: pytest.FixtureRequest, migrated_settings: Settings
) -> Iterator[Settings]:
    """Migrated settings over each database: SQLite, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield migrated_settings
        return
    with fresh_postgres(migrated_settings) as settings:
        yield settings


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
