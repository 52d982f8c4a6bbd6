"""DAV tests talk HTTP to the real app: in-process (TestClient) or a live uvicorn server
for real clients (caldav, vdirsyncer, litmus), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.directory import groups
from app.directory import service as directory
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.dav.samples import card, event
from tests.hostile import Case, sweep_leaves_unchanged
from tests.live import fresh_postgres, serve

ALICE = ("alice@example.com", TEST_PASSWORD)
BOB = ("bob@example.com", TEST_PASSWORD)
CAL = "/dav/calendars/alice@example.com/personal/"
BOOK = "/dav/addressbooks/alice@example.com/contacts/"


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


@pytest.fixture(params=["sqlite", "postgresql"])
def live_directory(
    request: pytest.FixtureRequest, migrated_settings: Settings
) -> Iterator[tuple[str, Session]]:
    """A live server and a session on its database, with the directory: alice, bob and info
    in Example (bob in group team@, team@ inside group everyone@), carol in Other."""
    if request.param == "sqlite":
        session = _directory(migrated_settings)
        with serve(migrated_settings) as url:
            yield url, session
        session.close()
        return
    with fresh_postgres(migrated_settings) as settings, serve(settings) as url:
        session = _directory(settings)
        yield url, session
        session.close()


def _directory(settings: Settings) -> Session:
    db = Session(create_engine(settings.effective_database_url))
    example = directory.create_organization(
        db, name="Example", slug="example", domains=["example.com"]
    )
    other = directory.create_organization(db, name="Other", slug="other", domains=["example.org"])
    for email in ("alice@example.com", "bob@example.com", "info@example.com", "carol@example.org"):
        directory.create_account(db, email=email, display_name=email.split("@")[0].title())
    team = groups.create_group(
        db, organization_id=example.id, address="team@example.com", name="Team"
    )
    everyone = groups.create_group(
        db, organization_id=example.id, address="everyone@example.com", name="Everyone"
    )
    groups.add_member(db, group=team, address="bob@example.com")
    groups.add_member(db, group=team, address="carol@example.org")  # kept as an outside address
    groups.add_member(db, group=everyone, address="team@example.com")
    groups.create_group(db, organization_id=other.id, address="staff@example.org", name="Staff")
    db.commit()
    return db


class AliceData:
    """Alice's event and card on a live server, for sweeps that must leave them unchanged."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, auth=ALICE, timeout=30)
        assert self.http.put(CAL + "a.ics", content=event("a").encode()).status_code == 201
        assert self.http.put(BOOK + "c.vcf", content=card("c").encode()).status_code == 201

    def snapshot(self) -> dict[str, object]:
        """The stored texts and both listings (hrefs with their properties)."""
        found: dict[str, object] = {
            "event": self.http.get(CAL + "a.ics").text,
            "card": self.http.get(BOOK + "c.vcf").text,
        }
        for path in (CAL, BOOK):
            answer = self.http.request("PROPFIND", path, headers={"Depth": "1"})
            found[path] = sorted(answer.text.split("<d:href>")[1:])
        return found

    def sweep(self, cases: list[Case]) -> None:
        """Send the cases; fail on any wrong answer, any logged error or any change."""
        sweep_leaves_unchanged(self.base_url, cases, self.snapshot)


@pytest.fixture(params=["sqlite", "postgresql"])
def owner(request: pytest.FixtureRequest, migrated_settings: Settings) -> Iterator[AliceData]:
    """A live server (SQLite, then PostgreSQL) where alice has an event and a card."""
    with ExitStack() as stack:
        settings = migrated_settings
        if request.param == "postgresql":
            settings = stack.enter_context(fresh_postgres(migrated_settings))
        data = AliceData(stack.enter_context(serve(settings)))
        yield data
        data.http.close()
