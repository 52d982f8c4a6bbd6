"""CalDAV/CardDAV over HTTP: methods, preconditions, reports and bad input."""

from __future__ import annotations

from app.dav.xml import parse
from tests.dav.conftest import Dav
from tests.dav.samples import card, event, query

CAL = "/dav/calendars/alice@example.com/personal/"
BOOK = "/dav/addressbooks/alice@example.com/contacts/"


def test_options_advertise_caldav_and_carddav(alice: Dav) -> None:
    answer = alice.client.options("/dav/")
    assert answer.status_code == 200
    for feature in ("1", "3", "calendar-access", "addressbook", "extended-mkcol"):
        assert feature in [f.strip() for f in answer.headers["DAV"].split(",")]


def test_basic_auth_is_required_and_the_session_cookie_is_not_enough(alice: Dav) -> None:
    anonymous = alice.client.request("PROPFIND", "/dav/", headers={"Depth": "0"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith('Basic realm="Hamkar"')
    wrong = alice.client.request(
        "PROPFIND", "/dav/", headers={"Depth": "0"}, auth=("alice@example.com", "nope")
    )
    assert wrong.status_code == 401
    from tests.helpers import login

    login(alice.client)  # a signed-in browser session must not open the DAV API
    assert alice.client.cookies.get("hamkar_session")
    assert alice.client.request("GET", CAL + "x.ics").status_code == 401


def test_put_get_etag_conditions_and_delete(alice: Dav) -> None:
    created = alice.request("PUT", CAL + "a.ics", event("a"), If_None_Match="*")
    assert created.status_code == 201
    etag = created.headers["ETag"]
    again = alice.request("PUT", CAL + "a.ics", event("a", summary="Other"), If_None_Match="*")
    assert again.status_code == 412
    got = alice.request("GET", CAL + "a.ics")
    assert got.headers["ETag"] == etag and "Planning" in got.text
    assert got.headers["content-type"].startswith("text/calendar")
    assert alice.request("GET", CAL + "a.ics", If_None_Match=etag).status_code == 304
    stale = alice.request("DELETE", CAL + "a.ics", If_Match='"stale"')
    assert stale.status_code == 412
    assert alice.request("DELETE", CAL + "a.ics", If_Match=etag).status_code == 204
    assert alice.request("GET", CAL + "a.ics").status_code == 404


def test_invalid_calendar_data_is_refused_with_the_precondition(alice: Dav) -> None:
    cases = {
        "BEGIN:VCALENDAR\r\nthis is not ical": "valid-calendar-data",
        event("m", extra="").replace("VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST"): (
            "valid-calendar-object-resource"
        ),
        event("n").replace("UID:n\r\n", ""): "valid-calendar-object-resource",
        event("d", start="2026-02-10"): "valid-calendar-object-resource",
    }
    for body, precondition in cases.items():
        answer = alice.request("PUT", CAL + "bad.ics", body)
        assert answer.status_code == 403, body
        assert precondition in answer.text
    assert alice.request("GET", CAL + "bad.ics").status_code == 404
    todo = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    refused = alice.request("PUT", CAL + "todo.ics", todo)
    assert refused.status_code == 403 and "supported-calendar-component" in refused.text


def test_uid_conflict_and_size_limit_keep_the_stored_version(alice: Dav) -> None:
    assert alice.request("PUT", CAL + "one.ics", event("same")).status_code == 201
    clash = alice.request("PUT", CAL + "two.ics", event("same"))
    assert clash.status_code == 409
    assert "no-uid-conflict" in clash.text and CAL + "one.ics" in clash.text
    huge = event("big", summary="x" * 2_100_000)
    assert alice.request("PUT", CAL + "big.ics", huge).status_code == 413
    assert alice.request("GET", CAL + "two.ics").status_code == 404
    assert alice.request("GET", CAL + "big.ics").status_code == 404


def test_hostile_and_broken_xml_get_400_with_a_reason(alice: Dav) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><propfind xmlns="DAV:"><prop>&b;</prop></propfind>'
    )
    external = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<propfind xmlns="DAV:"><prop><displayname>&x;</displayname></prop></propfind>'
    )
    for body in (bomb, external, "<propfind xmlns='DAV:'><prop>", "not xml at all <"):
        answer = alice.request("PROPFIND", CAL, body, Depth="0")
        assert answer.status_code == 400, body
        assert answer.text and "root:" not in answer.text
    deep = "<a>" * 200 + "</a>" * 200
    assert alice.request("REPORT", CAL, deep).status_code == 400


def test_propfind_depth_infinity_is_refused(alice: Dav) -> None:
    answer = alice.request("PROPFIND", "/dav/calendars/alice@example.com/", Depth="infinity")
    assert answer.status_code == 403 and "propfind-finite-depth" in answer.text


def test_mkcalendar_proppatch_and_properties(alice: Dav) -> None:
    body = """<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
      xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop>
      <D:displayname>Team</D:displayname><A:calendar-color>#FF0000</A:calendar-color>
      <C:supported-calendar-component-set><C:comp name="VEVENT"/>
      </C:supported-calendar-component-set>
    </D:prop></D:set></C:mkcalendar>"""
    home = "/dav/calendars/alice@example.com/"
    assert alice.request("MKCALENDAR", home + "team/", body).status_code == 201
    assert alice.request("MKCALENDAR", home + "team/", body).status_code == 405
    patch = """<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
      <D:set><D:prop><D:displayname>Team calendar</D:displayname>
      <C:calendar-description>Our meetings</C:calendar-description></D:prop></D:set>
    </D:propertyupdate>"""
    assert alice.request("PROPPATCH", home + "team/", patch).status_code == 207
    listing = alice.request("PROPFIND", home, "", Depth="1")
    assert "Team calendar" in listing.text
    props = alice.request(
        "PROPFIND",
        home + "team/",
        """<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
        xmlns:CS="http://calendarserver.org/ns/"><D:prop><C:calendar-description/>
        <C:supported-calendar-component-set/><CS:getctag/><D:sync-token/><D:supported-report-set/>
        <D:current-user-privilege-set/></D:prop></D:propfind>""",
        Depth="0",
    )
    assert "Our meetings" in props.text and 'name="VEVENT"' in props.text
    assert "calendar-multiget" in props.text and "sync-collection" in props.text
    assert "getctag" in props.text and "write-content" in props.text
    protected = alice.request(
        "PROPPATCH",
        home + "team/",
        """<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>X</D:displayname>
        <D:getetag>"forged"</D:getetag></D:prop></D:set></D:propertyupdate>""",
    )
    assert "403" in protected.text and "424" in protected.text  # all or nothing
    assert "Team calendar" in alice.request("PROPFIND", home, "", Depth="1").text
    assert alice.request("DELETE", home + "team/").status_code == 204
    assert alice.request("PROPFIND", home + "team/", "", Depth="0").status_code == 404


def test_calendar_query_filters_and_multiget(alice: Dav) -> None:
    alice.request("PUT", CAL + "a.ics", event("a", "20260210T090000Z", "Budget review"))
    alice.request("PUT", CAL + "b.ics", event("b", "20260310T090000Z", "Dentist"))
    alice.request("PUT", CAL + "c.ics", event("c", "20260212T090000Z", "Lunch"))
    february = alice.request(
        "REPORT", CAL, query("20260201T000000Z", "20260301T000000Z"), Depth="1"
    )
    assert february.status_code == 207
    assert "a.ics" in february.text and "c.ics" in february.text and "b.ics" not in february.text
    text_filter = (
        '<C:prop-filter name="SUMMARY"><C:text-match>BUDGET</C:text-match></C:prop-filter>'
    )
    budget = alice.request(
        "REPORT", CAL, query("20260101T000000Z", "20270101T000000Z", inner=text_filter), Depth="1"
    )
    assert "a.ics" in budget.text and "c.ics" not in budget.text
    multiget = f"""<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
      <D:prop><D:getetag/><C:calendar-data/></D:prop>
      <D:href>{CAL}a.ics</D:href><D:href>{CAL}missing.ics</D:href>
      <D:href>/dav/calendars/bob@example.com/personal/x.ics</D:href>
    </C:calendar-multiget>"""
    answer = alice.request("REPORT", CAL, multiget, Depth="1")
    assert "Budget review" in answer.text
    assert answer.text.count("404 Not Found") == 2


def test_free_busy_query(alice: Dav) -> None:
    alice.request("PUT", CAL + "busy.ics", event("busy", "20260210T090000Z"))
    free = alice.request(
        "PUT", CAL + "free.ics", event("free", "20260210T120000Z", extra="TRANSP:TRANSPARENT\r\n")
    )
    assert free.status_code == 201
    body = """<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
      <C:time-range start="20260210T000000Z" end="20260211T000000Z"/></C:free-busy-query>"""
    answer = alice.request("REPORT", CAL, body, Depth="1")
    assert answer.status_code == 200 and "VFREEBUSY" in answer.text
    assert "FREEBUSY;FBTYPE=BUSY:20260210T090000Z/20260210T100000Z" in answer.text
    assert "20260210T120000Z" not in answer.text


def test_sync_collection_and_invalid_token(alice: Dav) -> None:
    sync = """<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>
      <D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
    alice.request("PUT", CAL + "a.ics", event("a"))
    first = alice.request("REPORT", CAL, sync.format(""))
    token = parse(first.content).findtext("{DAV:}sync-token")  # type: ignore[union-attr]
    alice.request("PUT", CAL + "b.ics", event("b"))
    alice.request("DELETE", CAL + "a.ics")
    second = alice.request("REPORT", CAL, sync.format(token))
    assert "b.ics" in second.text and "a.ics" in second.text and "404" in second.text
    bogus = alice.request("REPORT", CAL, sync.format("http://hamkar.org/ns/sync/cal-999-1"))
    assert bogus.status_code == 403 and "valid-sync-token" in bogus.text


def test_expand_property_on_the_principal(alice: Dav) -> None:
    body = """<D:expand-property xmlns:D="DAV:"><D:property name="current-user-principal">
      <D:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"/>
      <D:property name="displayname"/></D:property></D:expand-property>"""
    answer = alice.request("REPORT", "/dav/principals/alice@example.com/", body, Depth="0")
    assert answer.status_code == 207
    assert "/dav/calendars/alice@example.com/" in answer.text


def test_address_books_directory_and_extended_mkcol(alice: Dav) -> None:
    assert alice.request("PUT", BOOK + "sara.vcf", card("sara")).status_code == 201
    mkcol = """<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
      <D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>
      <D:displayname>Suppliers</D:displayname></D:prop></D:set></D:mkcol>"""
    home = "/dav/addressbooks/alice@example.com/"
    assert alice.request("MKCOL", home + "suppliers/", mkcol).status_code == 201
    listing = alice.request("PROPFIND", home, "", Depth="1")
    assert "Suppliers" in listing.text and "directory/" in listing.text
    moved = alice.request(
        "MOVE", BOOK + "sara.vcf", Destination=f"http://testserver{home}suppliers/sara.vcf"
    )
    assert moved.status_code == 201
    assert alice.request("GET", home + "suppliers/sara.vcf").status_code == 200
    assert alice.request("GET", BOOK + "sara.vcf").status_code == 404
    read_only = alice.request("PUT", home + "directory/new.vcf", card("new"))
    assert read_only.status_code == 403
