"""Sharing an address book from the contacts page, through a real login (IMAP-checked password).

Share read-only with a colleague and read-write with a group of the organization, see the
grants listed, see the book on the grantee's page and over CardDAV; a colleague of another
organization, an unknown address and a form without the CSRF token are refused; revoking
works for the owner only.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.directory import groups
from app.directory import service as directory
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.helpers import csrf_token, login


def _directory(settings: Settings) -> None:
    engine = create_engine(settings.effective_database_url)
    with Session(engine) as db:
        example = directory.create_organization(
            db, name="Example", slug="example", domains=["example.com"]
        )
        directory.create_organization(db, name="Other", slug="other", domains=["example.org"])
        for email in ("alice@example.com", "bob@example.com", "carol@example.org"):
            directory.create_account(db, email=email)
        team = groups.create_group(
            db, organization_id=example.id, address="team@example.com", name="Team"
        )
        groups.add_member(db, group=team, address="bob@example.com")
        db.commit()
    engine.dispose()


def _share(client: TestClient, token: str, email: str, access: str = "read") -> object:
    return client.post(
        "/contacts/shares",
        data={"csrf_token": token, "book": "contacts", "email": email, "access": access},
        follow_redirects=False,
    )


def test_sharing_an_address_book_from_the_contacts_page(
    client: TestClient, migrated_settings: Settings
) -> None:
    _directory(migrated_settings)
    assert login(client).status_code == 303  # type: ignore[attr-defined]
    page = client.get("/contacts")
    assert page.status_code == 200 and 'action="/contacts/shares"' in page.text
    # no CSRF token: refused, nothing shared
    no_token = client.post(
        "/contacts/shares", data={"book": "contacts", "email": "bob@example.com"}
    )
    assert no_token.status_code == 403
    assert "bob@example.com" not in client.get("/contacts").text

    token = csrf_token(client, "/contacts")
    assert _share(client, token, "bob@example.com").status_code == 303  # type: ignore[attr-defined]
    shared = _share(client, token, "Team@Example.com", "read-write")
    assert shared.status_code == 303  # type: ignore[attr-defined]
    listing = client.get("/contacts").text
    assert "bob@example.com" in listing and "team@example.com" in listing
    assert listing.count("/delete") == 2

    # another organization, an unknown address, a bad access level, a foreign book: 400
    for email, access, book in (
        ("carol@example.org", "read", "contacts"),
        ("nobody@example.com", "read", "contacts"),
        ("bob@example.com", "admin", "contacts"),
        ("bob@example.com", "read", "not-mine"),
    ):
        refused = client.post(
            "/contacts/shares",
            data={"csrf_token": token, "book": book, "email": email, "access": access},
        )
        assert refused.status_code == 400, (email, access, book)
        assert 'role="alert"' in refused.text
    assert "carol@example.org" not in client.get("/contacts").text
    assert (
        "within your organization"
        in client.post(
            "/contacts/shares",
            data={"csrf_token": token, "book": "contacts", "email": "carol@example.org"},
        ).text
    )

    # bob sees the book on his page (read-write through the group) and over CardDAV
    bob = TestClient(client.app)
    assert login(bob, "bob@example.com").status_code == 303  # type: ignore[attr-defined]
    bobs = bob.get("/contacts").text
    assert "shared by alice@example.com" in bobs and "read-only" not in bobs
    home = bob.request(
        "PROPFIND",
        "/dav/addressbooks/bob@example.com/",
        headers={"Depth": "1"},
        auth=("bob@example.com", TEST_PASSWORD),
    )
    assert home.status_code == 207 and "/shared-" in home.text
    # bob cannot revoke alice's shares
    ids = re.findall(r"/contacts/shares/(\d+)/delete", listing)
    bob_token = csrf_token(bob, "/contacts")
    foreign = bob.post(f"/contacts/shares/{ids[0]}/delete", data={"csrf_token": bob_token})
    assert foreign.status_code == 404

    # alice revokes both: bob's page and DAV home no longer show the book
    for share_id in ids:
        revoked = client.post(
            f"/contacts/shares/{share_id}/delete",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert revoked.status_code == 303
    assert "/delete" not in client.get("/contacts").text
    assert "shared by alice@example.com" not in bob.get("/contacts").text
