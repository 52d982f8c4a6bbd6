"""DAV tests talk HTTP to the real app: in-process (TestClient) or a live uvicorn server
for real clients (caldav, vdirsyncer, litmus), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.live import fresh_postgres, serve

ALICE = ("alice@example.com", TEST_PASSWORD)
BOB = ("bob@example.com", TEST_PASSWORD)


class Dav:
    """A DAV client for one user over the real app."""

    def __init__(self, client: TestClient, auth: tuple[str, str]) -> None:
        self.client = client
        self.auth = auth

    def request(self, method: str, path: str, body: str | bytes = b"", **headers: str):  # type: ignore[no-untyped-def]
        """Send a request with Basic credentials; header names use underscores for dashes."""
        real = {k.replace("_", "-"): v for k, v in headers.items()}
        content = body.encode() if isinstance(body, str) else body
        return self.client.request(method, path, content=content, headers=real, auth=self.auth)


@pytest.fixture
def app_client(migrated_settings: Settings) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(migrated_settings), base_url="http://testserver") as client:
        yield client


@pytest.fixture
def alice(app_client: TestClient) -> Dav:
    return Dav(app_client, ALICE)


@pytest.fixture
def bob(app_client: TestClient) -> Dav:
    return Dav(app_client, BOB)


@pytest.fixture(params=["sqlite", "postgresql"])
def dav_server(request: pytest.FixtureRequest, migrated_settings: Settings) -> Iterator[str]:
    """The real app on a free loopback port, over each supported database."""
    if request.param == "sqlite":
        with serve(migrated_settings) as base_url:
            yield base_url
        return
    with fresh_postgres(migrated_settings) as settings, serve(settings) as base_url:
        yield base_url
