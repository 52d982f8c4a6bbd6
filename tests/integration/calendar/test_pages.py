"""The devices page (app passwords, server addresses) and calendar sharing, in the real app."""

from __future__ import annotations

import re

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.directory import service as directory
from app.settings import Settings
from tests.helpers import csrf_token, login

PROPFIND = {"Depth": "0"}


def _directory(settings: Settings) -> None:
    with Session(create_engine(settings.effective_database_url)) as db:
        directory.create_organization(db, name="Example", slug="example", domains=["example.com"])
        for email in ("alice@example.com", "bob@example.com"):
            directory.create_account(db, email=email)
        db.commit()


def test_app_password_is_shown_once_works_for_dav_and_can_be_revoked(
    client: TestClient, migrated_settings: Settings
) -> None:
    _directory(migrated_settings)
    login(client)
    page = client.get("/settings/devices")
    assert page.status_code == 200
    assert "/dav/principals/alice@example.com/" in page.text
    assert "/dav/addressbooks/alice@example.com/contacts/" in page.text
    assert 'href="/settings/devices"' in client.get("/settings").text
    # Without the CSRF token the form is refused.
    assert client.post("/settings/devices", data={"name": "Phone"}).status_code == 403
    token = csrf_token(client, "/settings/devices")
    created = client.post("/settings/devices", data={"csrf_token": token, "name": "Pixel"})
    assert created.status_code == 200
    password = re.search(r"<code>([a-z0-9]{4}(?:-[a-z0-9]{4}){3})</code>", created.text)
    assert password, "the new app password is shown"
    assert password.group(1) not in client.get("/settings/devices").text  # only once
    dav = TestClient(client.app)
    auth = ("alice@example.com", password.group(1))
    assert dav.request("PROPFIND", "/dav/", headers=PROPFIND, auth=auth).status_code == 207
    listing = client.get("/settings/devices").text
    assert "Pixel" in listing and "Never" not in listing  # last use recorded
    row_id = re.search(r"/settings/devices/(\d+)/revoke", listing)
    assert row_id
    token = csrf_token(client, "/settings/devices")
    revoked = client.post(
        f"/settings/devices/{row_id.group(1)}/revoke",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert dav.request("PROPFIND", "/dav/", headers=PROPFIND, auth=auth).status_code == 401


def test_sharing_a_calendar_from_the_calendar_page(
    client: TestClient, migrated_settings: Settings
) -> None:
    _directory(migrated_settings)
    login(client)
    token = csrf_token(client, "/calendar")
    shared = client.post(
        "/calendar/shares",
        data={
            "csrf_token": token,
            "calendar": "personal",
            "email": "bob@example.com",
            "access": "read",
        },
        follow_redirects=False,
    )
    assert shared.status_code == 303
    assert "bob@example.com" in client.get("/calendar").text
    refused = client.post(
        "/calendar/shares",
        data={"csrf_token": token, "calendar": "personal", "email": "nobody@example.com"},
    )
    assert refused.status_code == 400 and "nobody@example.com" in refused.text
