"""DAV and WebDAV clients update the account's last login, at most once per few minutes.

Live servers over HTTP: the mail password (checked by IMAP against Dovecot) and an app password
both count; a burst of requests writes once; a second app process over the same database does
not write again within the interval, and does once it has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.auth import app_passwords
from app.auth.last_login import DEFAULT_INTERVAL
from app.db import utcnow
from app.directory import service as directory
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.live import serve

ALICE = "alice@example.com"
BOB = "bob@example.com"


@pytest.fixture
def engine(migrated_settings: Settings) -> Engine:
    """alice and bob in the directory, never signed in yet."""
    engine = create_engine(migrated_settings.effective_database_url)
    with Session(engine) as db:
        directory.create_organization(db, name="Example", slug="example", domains=["example.com"])
        for email in (ALICE, BOB):
            directory.create_account(db, email=email)
        db.commit()
    return engine


def _last_login(engine: Engine, email: str) -> datetime | None:
    with Session(engine) as db:
        account = directory.find_account(db, email=email)
        assert account is not None
        return account.last_login_at


def _set_last_login(engine: Engine, email: str, when: datetime) -> None:
    with Session(engine) as db:
        account = directory.find_account(db, email=email)
        assert account is not None
        account.last_login_at = when
        db.commit()


def _propfind(base: str, path: str, auth: tuple[str, str]) -> int:
    return httpx.request("PROPFIND", base + path, auth=auth, headers={"Depth": "0"}).status_code


def test_dav_and_webdav_sign_ins_set_the_last_login(
    engine: Engine, migrated_settings: Settings
) -> None:
    with Session(engine) as db:
        phone = app_passwords.create(db, email=BOB, name="Phone").plaintext
        db.commit()
    assert _last_login(engine, ALICE) is None and _last_login(engine, BOB) is None
    with serve(migrated_settings) as base:
        before = utcnow()
        assert _propfind(base, f"/dav/calendars/{ALICE}/", (ALICE, TEST_PASSWORD)) == 207
        first = _last_login(engine, ALICE)
        assert first is not None and first >= before - timedelta(seconds=1)
        # A sync burst: many requests, the same recorded sign-in.
        for _ in range(5):
            assert _propfind(base, f"/dav/calendars/{ALICE}/", (ALICE, TEST_PASSWORD)) == 207
        assert _last_login(engine, ALICE) == first
        # A wrong password records nothing.
        assert _propfind(base, f"/dav/calendars/{BOB}/", (BOB, "wrong-password")) == 401
        assert _last_login(engine, BOB) is None
        # An app password over WebDAV (the file manager) counts too.
        assert _propfind(base, "/webdav/", (BOB, phone)) == 207
        assert _last_login(engine, BOB) is not None
    engine.dispose()


def test_several_processes_write_once_per_interval(
    engine: Engine, migrated_settings: Settings
) -> None:
    recent = utcnow() - DEFAULT_INTERVAL / 2
    _set_last_login(engine, ALICE, recent)
    # A fresh process knows nothing of earlier writes: the database's own check holds it back.
    with serve(migrated_settings) as base:
        assert _propfind(base, f"/dav/calendars/{ALICE}/", (ALICE, TEST_PASSWORD)) == 207
    assert _last_login(engine, ALICE) == recent
    stale = utcnow() - DEFAULT_INTERVAL - timedelta(seconds=5)
    _set_last_login(engine, ALICE, stale)
    with serve(migrated_settings) as base:
        assert _propfind(base, f"/dav/calendars/{ALICE}/", (ALICE, TEST_PASSWORD)) == 207
    after = _last_login(engine, ALICE)
    assert after is not None and after > stale + DEFAULT_INTERVAL
    engine.dispose()


def test_a_first_sign_in_from_a_device_makes_the_account(migrated_settings: Settings) -> None:
    """As the web's first sign-in does: the phone user then finds their colleagues."""
    engine = create_engine(migrated_settings.effective_database_url)
    with serve(migrated_settings) as base:
        assert _propfind(base, f"/dav/calendars/{BOB}/", (BOB, TEST_PASSWORD)) == 207
        assert _propfind(base, "/webdav/", (ALICE, TEST_PASSWORD)) == 207
        assert _propfind(base, "/dav/", ("carol@example.org", "wrong-password")) == 401
        found = httpx.request(
            "REPORT",
            base + "/dav/principals/",
            auth=(BOB, TEST_PASSWORD),
            content=(
                '<d:principal-property-search xmlns:d="DAV:"><d:property-search><d:prop>'
                "<d:displayname/></d:prop><d:match>alice</d:match></d:property-search>"
                "<d:prop><d:displayname/></d:prop></d:principal-property-search>"
            ),
        )
    assert found.status_code == 207
    assert f"/dav/principals/{ALICE}/" in found.text
    with Session(engine) as db:
        bob, alice = directory.find_account(db, email=BOB), directory.find_account(db, email=ALICE)
        assert bob is not None and alice is not None
        assert bob.organization_id == alice.organization_id
        assert bob.last_login_at is not None
        assert directory.find_account(db, email="carol@example.org") is None
    engine.dispose()
