"""Finding colleagues as calendar clients do (RFC 3744 9.4 and 9.5), over HTTP against a live
server on SQLite and PostgreSQL: the caldav library's principal search, raw REPORTs with
allof/anyof, and colleagues' principals readable but closed. Never another organization, never
a group."""

from __future__ import annotations

import caldav
import httpx
import pytest
from lxml import etree
from sqlalchemy.orm import Session

from app.dav import principal_search
from app.directory import service as directory
from tests.conftest import TEST_PASSWORD

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}
SEARCH = """<?xml version="1.0" encoding="utf-8"?>
<d:principal-property-search xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"
    xmlns:cs="http://calendarserver.org/ns/" {test}>
  {searches}
  <d:prop><d:displayname/><c:calendar-user-address-set/><c:calendar-user-type/>
    <c:schedule-inbox-URL/></d:prop>
  <d:apply-to-principal-collection-set/>
</d:principal-property-search>"""


def _search(prop: str, match: str) -> str:
    return (
        f"<d:property-search><d:prop>{prop}</d:prop><d:match>{match}</d:match></d:property-search>"
    )


def _dav(base: str, user: str = "alice@example.com") -> httpx.Client:
    return httpx.Client(base_url=base, auth=(user, TEST_PASSWORD))


def _found(client: httpx.Client, *searches: str, test: str = "", path: str = "/dav/principals/"):
    answer = client.request(
        "REPORT",
        path,
        headers={"Depth": "0"},
        content=SEARCH.format(test=test, searches="\n".join(searches)),
    )
    assert answer.status_code == 207, answer.text
    tree = etree.fromstring(answer.content)
    return {
        response.findtext("d:href", namespaces=NS): response
        for response in tree.findall("d:response", NS)
    }


def test_the_caldav_library_finds_colleagues_by_name(live_directory: tuple[str, Session]) -> None:
    base, _db = live_directory
    client = caldav.DAVClient(url=base, username="alice@example.com", password=TEST_PASSWORD)
    [bob] = client.search_principals(name="BO")
    assert str(bob.url).endswith("/dav/principals/bob@example.com/")
    assert bob.get_display_name() == "Bob"
    assert str(bob.calendar_home_set.url).endswith("/dav/calendars/bob@example.com/")
    everyone = {str(p.url).rsplit("/", 2)[1] for p in client.search_principals()}
    # alice herself, bob and info: not carol (another organization), not the groups
    assert everyone == {"alice@example.com", "bob@example.com", "info@example.com"}


def test_raw_searches_with_allof_and_anyof(live_directory: tuple[str, Session]) -> None:
    base, _db = live_directory
    alice = _dav(base)
    by_address = _search("<c:calendar-user-address-set/>", "mailto:bob@")
    by_name = _search("<d:displayname/>", "ali")
    either = _found(alice, by_address, by_name, test='test="anyof"')
    assert sorted(either) == [
        "/dav/principals/alice@example.com/",
        "/dav/principals/bob@example.com/",
    ]
    assert _found(alice, by_address, by_name, test='test="allof"') == {}
    [(href, bob)] = _found(alice, _search("<cs:email-address-set/>", "BOB@EXAMPLE")).items()
    assert href == "/dav/principals/bob@example.com/"
    ok = bob.find("d:propstat[d:status='HTTP/1.1 200 OK']/d:prop", NS)
    assert ok.findtext("d:displayname", namespaces=NS) == "Bob"
    addresses = ok.findall("c:calendar-user-address-set/d:href", NS)
    assert [a.text for a in addresses] == ["mailto:bob@example.com", href]
    assert ok.findtext("c:calendar-user-type", namespaces=NS) == "INDIVIDUAL"
    # bob's scheduling inbox is his alone
    assert ok.find("c:schedule-inbox-URL", NS) is None
    # Another organization's people are never found, by any property.
    assert _found(alice, _search("<d:displayname/>", "carol")) == {}
    assert _found(alice, _search("<c:calendar-user-address-set/>", "example.org")) == {}
    # Groups are not principals here.
    assert _found(alice, _search("<d:displayname/>", "team")) == {}


def test_rooms_are_found_with_their_user_type(live_directory: tuple[str, Session]) -> None:
    base, db = live_directory
    directory.create_account(
        db, email="room1@example.com", display_name="Room Alborz", kind="room", managed=False
    )
    db.commit()
    [(_href, room)] = _found(_dav(base), _search("<d:displayname/>", "alborz")).items()
    assert room.findtext(".//c:calendar-user-type", namespaces=NS) == "ROOM"


def test_what_can_be_searched_and_what_cannot(live_directory: tuple[str, Session]) -> None:
    base, _db = live_directory
    alice = _dav(base)
    answer = alice.request(
        "REPORT",
        "/dav/principals/",
        headers={"Depth": "0"},
        content='<d:principal-search-property-set xmlns:d="DAV:"/>',
    )
    assert answer.status_code == 200
    tree = etree.fromstring(answer.content)
    searchable = [p.tag for p in tree.findall("d:principal-search-property/d:prop/*", NS)]
    assert searchable == [
        "{DAV:}displayname",
        "{urn:ietf:params:xml:ns:caldav}calendar-user-address-set",
        "{http://calendarserver.org/ns/}email-address-set",
    ]
    refused = alice.request(
        "REPORT",
        "/dav/principals/",
        content=SEARCH.format(test="", searches=_search("<d:getetag/>", "x")),
    )
    assert refused.status_code == 400
    assert "getetag" in refused.text
    broken = alice.request(
        "REPORT",
        "/dav/principals/",
        content=SEARCH.format(test="", searches="<d:property-search><d:prop/></d:property-search>"),
    )
    assert broken.status_code == 400
    elsewhere = alice.request(
        "REPORT",
        "/dav/calendars/alice@example.com/personal/",
        content=SEARCH.format(test="", searches=_search("<d:displayname/>", "b")),
    )
    assert elsewhere.status_code == 403


def test_a_colleagues_principal_is_readable_and_closed(live_directory: tuple[str, Session]) -> None:
    base, _db = live_directory
    alice = _dav(base)
    bob = alice.request("PROPFIND", "/dav/principals/bob@example.com/", headers={"Depth": "0"})
    assert bob.status_code == 207
    assert "<d:displayname>Bob</d:displayname>" in bob.text
    assert "schedule-inbox-URL" not in bob.text.split("404")[0]  # only among the missing
    for closed in (
        "/dav/principals/bob@example.com/inbox/",
        "/dav/principals/bob@example.com/outbox/",
        "/dav/calendars/bob@example.com/",
        "/dav/calendars/bob@example.com/personal/",
        "/dav/principals/carol@example.org/",
        "/dav/principals/team@example.com/",
        "/dav/principals/nobody@example.com/",
    ):
        answer = alice.request("PROPFIND", closed, headers={"Depth": "1"})
        assert answer.status_code in (403, 404), (closed, answer.status_code)
    assert alice.request(
        "PROPPATCH",
        "/dav/principals/bob@example.com/",
        content=(
            '<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>x</d:displayname>'
            "</d:prop></d:set></d:propertyupdate>"
        ),
    ).status_code in (207, 403)
    again = alice.request("PROPFIND", "/dav/principals/bob@example.com/", headers={"Depth": "0"})
    assert "<d:displayname>Bob</d:displayname>" in again.text
    # alice's own principal now carries her name
    own = alice.request("PROPFIND", "/dav/principals/alice@example.com/", headers={"Depth": "0"})
    assert "<d:displayname>Alice</d:displayname>" in own.text


def test_too_many_matches_say_so_with_507(
    live_directory: tuple[str, Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _db = live_directory
    monkeypatch.setattr(principal_search, "MAX_MATCHES", 2)
    found = _found(_dav(base), _search("<d:displayname/>", ""))
    assert len(found) == 3
    limit = found["/dav/principals/"]
    assert limit.findtext("d:status", namespaces=NS) == "HTTP/1.1 507 Insufficient Storage"
    assert limit.find("d:error/d:number-of-matches-within-limits", NS) is not None
