"""A live server for WebDAV clients, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings
from tests.live import serve


@pytest.fixture(params=["sqlite", "postgresql"])
def dav_server(request: pytest.FixtureRequest, migrated_settings: Settings) -> Iterator[str]:
    """The real app on a free loopback port, over each supported database."""
    settings = migrated_settings
    if request.param == "postgresql":
        from app.migrate import upgrade

        url = request.getfixturevalue("postgres_url")
        settings = migrated_settings.model_copy(update={"database_url": url})
        upgrade(settings)
    with serve(settings) as base_url:
        yield base_url
