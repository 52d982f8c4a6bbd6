"""A live server for WebDAV clients, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings
from tests.live import fresh_postgres, serve


@pytest.fixture(params=["sqlite", "postgresql"])
def dav_server(request: pytest.FixtureRequest, migrated_settings: Settings) -> Iterator[str]:
    """The real app on a free loopback port, over each supported database."""
    if request.param == "sqlite":
        with serve(migrated_settings) as base_url:
            yield base_url
        return
    with fresh_postgres(migrated_settings) as settings, serve(settings) as base_url:
        yield base_url
