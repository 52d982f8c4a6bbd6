"""Team spaces made and shared from the web, then used by members over the web and WebDAV."""

from __future__ import annotations

from tests.integration.files.conftest import dav_client
from tests.integration.files.test_web_files import Browser


def test_create_team_space_add_member_and_use_it(server: str) -> None:
    alice = Browser(server, "alice@example.com")
    bob = Browser(server, "bob@example.com")
    made = alice.post("/files/spaces", name="Design team", slug="design")
    assert made.status_code == 303 and "team%2Fdesign" in made.headers["location"]
    assert bob.http.get("/files", params={"s": "team/design"}).status_code == 404
    with dav_client(server, "bob@example.com") as dav:
        assert dav.request("PROPFIND", "/team/design/", headers={"Depth": "0"}).status_code == 404

    alice.post("/files/members", s="team/design", email="bob@example.com", right="write")
    members = alice.http.get("/files/members", params={"s": "team/design"})
    assert "bob@example.com" in members.text
    assert bob.upload("logo.svg", b"<svg/>", space="team/design").status_code == 200
    assert "logo.svg" in alice.http.get("/files", params={"s": "team/design"}).text
    with dav_client(server, "bob@example.com") as dav:
        assert dav.get("/team/design/logo.svg").content == b"<svg/>"
        listing = dav.request("PROPFIND", "/team/", headers={"Depth": "1"})
        assert "/webdav/team/design/" in listing.text
    # Bob may write but not manage: he cannot add people.
    refused = bob.post("/files/members", s="team/design", email="carol@example.org", right="read")
    assert refused.status_code == 403
    alice.post("/files/members", s="team/design", email="bob@example.com", right="none")
    assert bob.http.get("/files", params={"s": "team/design"}).status_code == 404


def test_other_organization_cannot_be_added(server: str) -> None:
    alice = Browser(server, "alice@example.com")
    Browser(server, "carol@example.org")
    alice.post("/files/spaces", name="Finance", slug="finance")
    refused = alice.post(
        "/files/members", s="team/finance", email="carol@example.org", right="read"
    )
    assert refused.status_code == 403
