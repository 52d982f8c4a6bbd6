"""Calendars and address books shared with a directory group show up in every member's home,
with the rights of the share, over HTTP against a live server on SQLite and PostgreSQL; and
never across organizations."""

from __future__ import annotations

import caldav
import httpx
import pytest
from sqlalchemy.orm import Session

from app.calendar import sharing
from app.contacts import sharing as book_sharing
from app.directory import groups
from app.errors import Forbidden
from tests.conftest import TEST_PASSWORD
from tests.dav.samples import card, event

ALICE_CAL = "/dav/calendars/alice@example.com/personal/"
ALICE_BOOK = "/dav/addressbooks/alice@example.com/contacts/"


def _dav(base: str, user: str) -> httpx.Client:
    return httpx.Client(base_url=base, auth=(user, TEST_PASSWORD))


def _home_listing(client: httpx.Client, home: str) -> str:
    answer = client.request("PROPFIND", home, headers={"Depth": "1"})
    assert answer.status_code == 207
    return answer.text


def test_a_calendar_shared_with_a_group_reaches_its_members_only(
    live_directory: tuple[str, Session],
) -> None:
    base, db = live_directory
    alice, bob = _dav(base, "alice@example.com"), _dav(base, "bob@example.com")
    info, carol = _dav(base, "info@example.com"), _dav(base, "carol@example.org")
    assert alice.put(ALICE_CAL + "plan.ics", content=event("p", summary="Plan")).status_code == 201
    share = sharing.share_calendar(
        db,
        owner_email="alice@example.com",
        slug="personal",
        grantee_email="team@example.com",
        access="read",
    )
    db.commit()
    shared = f"/dav/calendars/bob@example.com/shared-{share.id}/"
    assert shared in _home_listing(bob, "/dav/calendars/bob@example.com/")
    # The caldav library finds it among bob's calendars and reads the event.
    principal = caldav.DAVClient(
        url=base, username="bob@example.com", password=TEST_PASSWORD
    ).principal()
    [found] = [c for c in principal.calendars() if str(c.url).endswith(shared)]
    assert [str(e.icalendar_component["SUMMARY"]) for e in found.events()] == ["Plan"]
    # Read-only: no writes, no deletes, and the privileges say so.
    assert bob.put(shared + "bob.ics", content=event("b")).status_code == 403
    assert bob.delete(shared + "plan.ics").status_code == 403
    privileges = bob.request(
        "PROPFIND",
        shared,
        content='<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/></D:prop>'
        "</D:propfind>",
        headers={"Depth": "0"},
    ).text
    assert "<d:read/>" in privileges and "<d:write/>" not in privileges
    # Not a member (info@, same organization), or a member from outside the organization
    # (carol@example.org is in team@ as an outside address): nothing.
    for outsider, email in ((info, "info@example.com"), (carol, "carol@example.org")):
        assert "shared-" not in _home_listing(outsider, f"/dav/calendars/{email}/")
        assert outsider.get(ALICE_CAL + "plan.ics").status_code == 404
        own_home = f"/dav/calendars/{email}/shared-{share.id}/plan.ics"
        assert outsider.get(own_home).status_code == 404
    # Read-write for the group: bob writes, alice sees it.
    sharing.share_calendar(
        db,
        owner_email="alice@example.com",
        slug="personal",
        grantee_email="team@example.com",
        access="read-write",
    )
    db.commit()
    assert bob.put(shared + "bob.ics", content=event("b", summary="By Bob")).status_code == 201
    assert "By Bob" in alice.get(ALICE_CAL + "bob.ics").text
    assert bob.delete(shared).status_code == 403  # only the owner deletes the calendar
    # Leaving the group ends the access.
    groups.remove_member(
        db, group=groups.get_group(db, group_id=share.group_id or 0), address="bob@example.com"
    )
    db.commit()
    assert bob.get(shared + "plan.ics").status_code == 404
    assert "shared-" not in _home_listing(bob, "/dav/calendars/bob@example.com/")


def test_an_address_book_shared_with_a_nested_group(live_directory: tuple[str, Session]) -> None:
    base, db = live_directory
    alice, bob = _dav(base, "alice@example.com"), _dav(base, "bob@example.com")
    assert alice.put(ALICE_BOOK + "sara.vcf", content=card("sara")).status_code == 201
    # everyone@ contains team@, which contains bob.
    share = book_sharing.share_address_book(
        db,
        owner_email="alice@example.com",
        slug="contacts",
        grantee="everyone@example.com",
        access="read",
    )
    db.commit()
    shared = f"/dav/addressbooks/bob@example.com/shared-{share.id}/"
    assert shared in _home_listing(bob, "/dav/addressbooks/bob@example.com/")
    query = """<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
      <D:prop><D:getetag/><C:address-data/></D:prop></C:addressbook-query>"""
    listing = bob.request("REPORT", shared, content=query, headers={"Depth": "1"})
    assert listing.status_code == 207 and "Sara Karimi" in listing.text
    assert bob.put(shared + "evil.vcf", content=card("evil", "Evil")).status_code == 403
    assert bob.delete(shared + "sara.vcf").status_code == 403
    book_sharing.share_address_book(
        db,
        owner_email="alice@example.com",
        slug="contacts",
        grantee="everyone@example.com",
        access="read-write",
    )
    db.commit()
    assert bob.put(shared + "reza.vcf", content=card("reza", "Reza Ahmadi")).status_code == 201
    assert "Reza Ahmadi" in alice.get(ALICE_BOOK + "reza.vcf").text
    assert bob.delete(shared + "sara.vcf").status_code == 204
    assert alice.get(ALICE_BOOK + "sara.vcf").status_code == 404
    assert bob.delete(shared).status_code == 403
    info = _dav(base, "info@example.com")
    assert "shared-" not in _home_listing(info, "/dav/addressbooks/info@example.com/")
    assert info.get(f"/dav/addressbooks/info@example.com/shared-{share.id}/").status_code == 404
    book_sharing.unshare_address_book(db, owner_email="alice@example.com", share_id=share.id)
    db.commit()
    assert bob.get(shared + "reza.vcf").status_code == 404


def test_groups_of_another_organization_are_refused(live_directory: tuple[str, Session]) -> None:
    _base, db = live_directory
    from app.calendar import service as calendars
    from app.contacts import service as contacts

    calendars.ensure_defaults(db, email="alice@example.com")
    contacts.ensure_defaults(db, email="alice@example.com")
    with pytest.raises(Forbidden):
        sharing.share_calendar(
            db,
            owner_email="alice@example.com",
            slug="personal",
            grantee_email="staff@example.org",
            access="read",
        )
    with pytest.raises(Forbidden):
        book_sharing.share_address_book(
            db,
            owner_email="alice@example.com",
            slug="contacts",
            grantee="carol@example.org",
            access="read",
        )
