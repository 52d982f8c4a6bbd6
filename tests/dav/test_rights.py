"""One user never reaches another's calendars or contacts unless shared; path tricks fail."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.calendar import sharing
from app.directory import service as directory
from app.errors import Forbidden
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.dav.conftest import Dav
from tests.dav.samples import card, event, query

ALICE_CAL = "/dav/calendars/alice@example.com/personal/"
ALICE_BOOK = "/dav/addressbooks/alice@example.com/contacts/"


@pytest.fixture
def db(migrated_settings: Settings) -> Session:
    """The directory: alice and bob in one organization, carol in another."""
    session = Session(create_engine(migrated_settings.effective_database_url))
    directory.create_organization(session, name="Example", slug="example", domains=["example.com"])
    directory.create_organization(session, name="Other", slug="other", domains=["example.org"])
    for email in ("alice@example.com", "bob@example.com", "carol@example.org"):
        directory.create_account(session, email=email, display_name=email.split("@")[0].title())
    session.commit()
    return session


@pytest.fixture
def seeded(alice: Dav) -> None:
    assert (
        alice.request("PUT", ALICE_CAL + "secret.ics", event("s", summary="Secret")).status_code
        == 201
    )
    assert alice.request("PUT", ALICE_BOOK + "friend.vcf", card("f", "Friend")).status_code == 201


@pytest.mark.usefixtures("seeded")
def test_another_user_cannot_use_any_method_on_my_collections(bob: Dav) -> None:
    attempts = [
        ("PROPFIND", "/dav/calendars/alice@example.com/", "", {"Depth": "1"}),
        ("PROPFIND", ALICE_CAL, "", {"Depth": "1"}),
        ("GET", ALICE_CAL + "secret.ics", "", {}),
        ("HEAD", ALICE_CAL + "secret.ics", "", {}),
        ("PUT", ALICE_CAL + "evil.ics", event("evil"), {}),
        ("PUT", ALICE_CAL + "secret.ics", event("s", summary="Hacked"), {}),
        ("DELETE", ALICE_CAL + "secret.ics", "", {}),
        ("DELETE", ALICE_CAL, "", {}),
        ("REPORT", ALICE_CAL, query("20000101T000000Z", "20990101T000000Z"), {"Depth": "1"}),
        (
            "PROPPATCH",
            ALICE_CAL,
            '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
            "<D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>",
            {},
        ),
        ("MKCALENDAR", "/dav/calendars/alice@example.com/planted/", "", {}),
        # alice's principal is readable by a colleague (tests/dav/test_principal_search.py);
        # her scheduling inbox is not.
        ("PROPFIND", "/dav/principals/alice@example.com/inbox/", "", {"Depth": "1"}),
        ("PROPFIND", ALICE_BOOK, "", {"Depth": "1"}),
        ("GET", ALICE_BOOK + "friend.vcf", "", {}),
        ("PUT", ALICE_BOOK + "evil.vcf", card("evil"), {}),
        ("DELETE", ALICE_BOOK + "friend.vcf", "", {}),
        ("PROPFIND", "/dav/addressbooks/alice@example.com/directory/", "", {"Depth": "1"}),
    ]
    for method, path, body, headers in attempts:
        answer = bob.request(method, path, body, **headers)
        assert answer.status_code in (403, 404, 409), (method, path, answer.status_code)
        assert "Secret" not in answer.text and "Friend" not in answer.text
    # Her principal's properties are hers: each change is refused (RFC 4918 9.2: 207, 403).
    patch = bob.request(
        "PROPPATCH",
        "/dav/principals/alice@example.com/",
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        "<D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>",
    )
    assert patch.status_code == 207 and "HTTP/1.1 403" in patch.text
    assert "HTTP/1.1 200" not in patch.text
    # Moving my own item into alice's calendar, or hers into mine, fails as well.
    bob_cal = "/dav/calendars/bob@example.com/personal/"
    assert bob.request("PUT", bob_cal + "mine.ics", event("mine")).status_code == 201
    into = bob.request(
        "MOVE", bob_cal + "mine.ics", Destination="http://testserver" + ALICE_CAL + "m.ics"
    )
    assert into.status_code in (403, 404)
    out = bob.request(
        "MOVE", ALICE_CAL + "secret.ics", Destination="http://testserver" + bob_cal + "s.ics"
    )
    assert out.status_code == 404
    multiget = f"""<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
      <D:prop><C:calendar-data/></D:prop><D:href>{ALICE_CAL}secret.ics</D:href>
    </C:calendar-multiget>"""
    leaked = bob.request("REPORT", bob_cal, multiget, Depth="1")
    assert "Secret" not in leaked.text and "404" in leaked.text


@pytest.mark.usefixtures("seeded")
def test_path_tricks_never_escape(bob: Dav) -> None:
    for path in (
        "/dav/calendars/bob@example.com/%2e%2e/alice@example.com/personal/secret.ics",
        "/dav/calendars/bob@example.com/personal/..%2f..%2falice@example.com%2fpersonal%2fsecret.ics",
        "/dav/calendars/bob@example.com/personal%2f..%2f..%2falice@example.com/personal/secret.ics",
        "/dav/calendars/alice%40example.com/personal/secret.ics",
        "/dav/calendars/bob@example.com/personal/%00.ics",
    ):
        answer = bob.request("GET", path)
        assert answer.status_code in (400, 404), path
        assert "Secret" not in answer.text
    planted = bob.request(
        "PUT", "/dav/calendars/bob@example.com/personal/..%2fevil.ics", event("p")
    )
    assert planted.status_code in (400, 404)


def test_sharing_read_then_read_write_within_the_organization(
    db: Session, alice: Dav, bob: Dav
) -> None:
    assert (
        alice.request("PUT", ALICE_CAL + "plan.ics", event("p", summary="Plan")).status_code == 201
    )
    share = sharing.share_calendar(
        db,
        owner_email="alice@example.com",
        slug="personal",
        grantee_email="bob@example.com",
        access="read",
    )
    db.commit()
    home = bob.request("PROPFIND", "/dav/calendars/bob@example.com/", "", Depth="1")
    shared = f"/dav/calendars/bob@example.com/shared-{share.id}/"
    assert shared in home.text
    assert "Plan" in bob.request("GET", shared + "plan.ics").text
    assert bob.request("PUT", shared + "bob.ics", event("b")).status_code == 403
    assert bob.request("DELETE", shared + "plan.ics").status_code == 403
    sharing.share_calendar(
        db,
        owner_email="alice@example.com",
        slug="personal",
        grantee_email="bob@example.com",
        access="read-write",
    )
    db.commit()
    assert bob.request("PUT", shared + "bob.ics", event("b", summary="From Bob")).status_code == 201
    assert "From Bob" in alice.request("GET", ALICE_CAL + "bob.ics").text
    assert bob.request("DELETE", shared).status_code == 403  # only the owner deletes it
    sharing.unshare(db, owner_email="alice@example.com", share_id=share.id)
    db.commit()
    assert bob.request("GET", shared + "plan.ics").status_code == 404


def test_sharing_never_crosses_organizations(db: Session) -> None:
    from app.calendar import service as calendars

    calendars.ensure_defaults(db, email="alice@example.com")
    with pytest.raises(Forbidden):
        sharing.share_calendar(
            db,
            owner_email="alice@example.com",
            slug="personal",
            grantee_email="carol@example.org",
            access="read",
        )


def test_directory_book_lists_only_my_organization(db: Session, alice: Dav) -> None:
    listing = alice.request(
        "REPORT",
        "/dav/addressbooks/alice@example.com/directory/",
        """<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
        <D:prop><C:address-data/></D:prop></C:addressbook-query>""",
        Depth="1",
    )
    assert listing.status_code == 207
    assert "bob@example.com" in listing.text and "carol@example.org" not in listing.text


def test_a_wrong_password_for_someone_else_gets_nothing(alice: Dav) -> None:
    intruder = Dav(alice.client, ("alice@example.com", TEST_PASSWORD + "x"))
    assert intruder.request("GET", ALICE_CAL + "secret.ics").status_code == 401
