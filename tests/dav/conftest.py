"""A live server for WebDAV clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings
from tests.live import serve


@pytest.fixture
def dav_server(migrated_settings: Settings) -> Iterator[str]:
    """The real app on a free loopback port."""
    with serve(migrated_settings) as base_url:
        yield base_url
