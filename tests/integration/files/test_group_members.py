"""Directory groups as members of team spaces: their members (nested groups included) get the
right over the web and WebDAV, and lose it the moment they leave the group."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory
from app.directory import groups, service
from app.directory.models import GroupMember
from app.files.models import SpaceMember
from app.settings import Settings
from tests.integration.files.conftest import dav_client
from tests.integration.files.test_web_files import Browser


@pytest.fixture
def db(files_settings: Settings) -> Iterator[Session]:
    engine = make_engine(files_settings)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def _org(db: Session) -> int:
    account = service.find_account(db, email="alice@example.com")
    assert account is not None
    return account.organization_id


def test_nested_group_members_get_the_right_until_they_leave(server: str, db: Session) -> None:
    alice, bob = Browser(server, "alice@example.com"), Browser(server, "bob@example.com")
    org = _org(db)
    design = groups.create_group(db, organization_id=org, address="design@example.com", name="D")
    studio = groups.create_group(db, organization_id=org, address="studio@example.com", name="S")
    groups.add_member(db, group=studio, address="design@example.com")  # design inside studio
    groups.add_member(db, group=design, address="bob@example.com")
    db.commit()

    alice.post("/files/spaces", name="Studio", slug="studio")
    added = alice.post("/files/members", s="team/studio", email="studio@example.com", right="read")
    assert added.status_code == 303
    members = alice.http.get("/files/members", params={"s": "team/studio"}).text
    assert "studio@example.com" in members and "files-member-group" in members
    assert alice.upload("brief.txt", b"the brief", space="team/studio").status_code == 200

    # Bob is in design, design is in studio: he reads, over the web and WebDAV, but not writes.
    assert "brief.txt" in bob.http.get("/files", params={"s": "team/studio"}).text
    assert bob.upload("mine.txt", b"x", space="team/studio").status_code == 403
    with dav_client(server, "bob@example.com") as dav:
        assert dav.get("/team/studio/brief.txt").content == b"the brief"
        assert dav.put("/team/studio/mine.txt", content=b"x").status_code == 403
        listing = dav.request("PROPFIND", "/team/", headers={"Depth": "1"})
        assert "/webdav/team/studio/" in listing.text

    # The group gets read-write: bob may now write (his right is the group's).
    alice.post("/files/members", s="team/studio", email="studio@example.com", right="write")
    assert bob.upload("mine.txt", b"x", space="team/studio").status_code == 200
    with dav_client(server, "bob@example.com") as dav:
        assert dav.put("/team/studio/dav.txt", content=b"y").status_code == 201
    refused = bob.post("/files/members", s="team/studio", email="bob@example.com", right="manage")
    assert refused.status_code == 403

    # Bob leaves the group: no access any more, at once, anywhere.
    groups.remove_member(db, group=design, address="bob@example.com")
    db.commit()
    assert bob.http.get("/files", params={"s": "team/studio"}).status_code == 404
    with dav_client(server, "bob@example.com") as dav:
        assert dav.get("/team/studio/brief.txt").status_code == 404
        assert dav.put("/team/studio/late.txt", content=b"z").status_code in (404, 409)
        listing = dav.request("PROPFIND", "/team/", headers={"Depth": "1"})
        assert "/webdav/team/studio/" not in listing.text


def test_a_group_with_manage_lets_its_members_manage(server: str, db: Session) -> None:
    alice, bob = Browser(server, "alice@example.com"), Browser(server, "bob@example.com")
    leads = groups.create_group(
        db, organization_id=_org(db), address="leads@example.com", name="Leads"
    )
    groups.add_member(db, group=leads, address="bob@example.com")
    db.commit()
    alice.post("/files/spaces", name="Plans", slug="plans")
    alice.post("/files/members", s="team/plans", email="leads@example.com", right="manage")
    # Bob manages through the group, and his own lower right does not lower it.
    assert (
        bob.post(
            "/files/members", s="team/plans", email="bob@example.com", right="read"
        ).status_code
        == 303
    )
    assert (
        bob.post(
            "/files/members", s="team/plans", email="alice@example.com", right="read"
        ).status_code
        == 303
    )
    assert bob.upload("roadmap.txt", b"q3", space="team/plans").status_code == 200


def test_a_group_of_another_organization_cannot_be_added(server: str, db: Session) -> None:
    alice = Browser(server, "alice@example.com")
    Browser(server, "carol@example.org")
    carol = service.find_account(db, email="carol@example.org")
    assert carol is not None
    groups.create_group(
        db, organization_id=carol.organization_id, address="crew@example.org", name="Crew"
    )
    db.commit()
    alice.post("/files/spaces", name="Secret", slug="secret")
    refused = alice.post("/files/members", s="team/secret", email="crew@example.org", right="read")
    assert refused.status_code == 403


def test_a_deleted_groups_right_does_not_pass_to_a_new_group(server: str, db: Session) -> None:
    alice, bob = Browser(server, "alice@example.com"), Browser(server, "bob@example.com")
    old = groups.create_group(db, organization_id=_org(db), address="old@example.com", name="O")
    db.commit()
    alice.post("/files/spaces", name="Board", slug="board")
    alice.post("/files/members", s="team/board", email="old@example.com", right="read")
    old_id = old.id
    groups.delete_group(db, group=old)
    db.commit()
    new = groups.create_group(db, organization_id=_org(db), address="new@example.com", name="N")
    groups.add_member(db, group=new, address="bob@example.com")
    db.commit()
    if db.bind is not None and db.bind.dialect.name == "sqlite":
        assert new.id == old_id  # SQLite reuses the id: the case this guards against
    assert bob.http.get("/files", params={"s": "team/board"}).status_code == 404
    with dav_client(server, "bob@example.com") as dav:
        assert dav.request("PROPFIND", "/team/board/", headers={"Depth": "0"}).status_code == 404


def test_deleting_a_group_deletes_its_rights_on_team_spaces(server: str, db: Session) -> None:
    """No orphan rows: a later group that gets the same id or address inherits nothing."""
    alice, bob = Browser(server, "alice@example.com"), Browser(server, "bob@example.com")
    org = _org(db)
    design = groups.create_group(db, organization_id=org, address="design@example.com", name="D")
    studio = groups.create_group(db, organization_id=org, address="studio@example.com", name="S")
    groups.add_member(db, group=studio, address="design@example.com")
    groups.add_member(db, group=design, address="bob@example.com")
    db.commit()
    alice.post("/files/spaces", name="Crew", slug="crew")
    alice.post("/files/members", s="team/crew", email="design@example.com", right="write")
    alice.post("/files/members", s="team/crew", email="studio@example.com", right="read")
    assert bob.upload("sketch.txt", b"v1", space="team/crew").status_code == 200
    design_id = design.id

    groups.delete_group(db, group=design)
    db.commit()
    db.expire_all()
    rows = db.execute(select(SpaceMember.email, SpaceMember.group_id)).all()
    assert sorted(rows) == [("alice@example.com", None), ("studio@example.com", studio.id)]
    nested = select(GroupMember).where(GroupMember.member_group_id == design_id)
    assert db.scalars(nested).all() == []
    assert bob.http.get("/files", params={"s": "team/crew"}).status_code == 404

    # A new group with the old address (and, on SQLite, maybe the old id) starts with nothing.
    again = groups.create_group(db, organization_id=org, address="design@example.com", name="D2")
    groups.add_member(db, group=again, address="bob@example.com")
    db.commit()
    assert bob.http.get("/files", params={"s": "team/crew"}).status_code == 404
    with dav_client(server, "bob@example.com") as dav:
        assert dav.put("/team/crew/late.txt", content=b"z").status_code in (404, 409)
