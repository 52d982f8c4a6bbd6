"""The global address list: the organization's people, groups, role mailboxes and rooms only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.directory import accounts, groups, service
from app.directory.address_list import search_address_list
from app.directory.models import Organization

Orgs = tuple[Organization, Organization]


def _setup(db: Session, orgs: Orgs) -> None:
    acme, other = orgs
    service.add_domain(db, organization=acme, name="acme.example", role_mailboxes=True)
    service.create_account(
        db,
        email="jane@acme.test",
        display_name="Jane Roe",
        organization_id=acme.id,
        department="Sales",
        job_title="Lead",
    )
    gone = service.create_account(
        db, email="gone@acme.test", display_name="Gone Person", organization_id=acme.id
    )
    accounts.set_enabled(db, account=gone, enabled=False)
    service.create_account(
        db,
        email="room1@acme.test",
        display_name="Room Sales Floor",
        kind="room",
        organization_id=acme.id,
        location="2nd floor",
    )
    groups.create_group(
        db, organization_id=acme.id, address="sales-team@acme.test", name="Sales team"
    )
    service.create_account(
        db,
        email="jane@other.test",
        display_name="Jane Other",
        organization_id=other.id,
        department="Sales",
    )


def test_search_finds_people_groups_roles_and_rooms_of_my_organization(
    db: Session, orgs: Orgs
) -> None:
    _setup(db, orgs)
    found = search_address_list(db, organization_id=orgs[0].id, query="sales", limit=50)
    by_email = {e.email: e.kind for e in found}
    assert by_email == {
        "jane@acme.test": "person",  # by department
        "sales-team@acme.test": "group",
        "sales@acme.example": "role",
        "room1@acme.test": "room",
    }
    assert found[0].email == "jane@acme.test" and found[0].job_title == "Lead"


def test_other_organizations_and_disabled_accounts_never_appear(db: Session, orgs: Orgs) -> None:
    _setup(db, orgs)
    everything = search_address_list(db, organization_id=orgs[0].id, query="", limit=500)
    emails = {e.email for e in everything}
    assert "jane@other.test" not in emails and "gone@acme.test" not in emails
    assert {e.email for e in search_address_list(db, organization_id=orgs[1].id, query="jane")} == {
        "jane@other.test"
    }


def test_query_wildcards_are_literal_and_limit_is_kept(db: Session, orgs: Orgs) -> None:
    _setup(db, orgs)
    assert search_address_list(db, organization_id=orgs[0].id, query="%") == []
    assert search_address_list(db, organization_id=orgs[0].id, query="_") == []
    assert len(search_address_list(db, organization_id=orgs[0].id, query="", limit=2)) == 2
