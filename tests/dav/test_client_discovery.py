"""Discovery as DAVx5, iOS/macOS and Thunderbird do it (requests written from their public
documentation and logs they publish), answered with what each client needs next."""

from __future__ import annotations

import httpx

from app.dav.xml import parse
from tests.conftest import TEST_PASSWORD
from tests.dav.conftest import Dav

D, C, CS, A = (
    "{DAV:}",
    "{urn:ietf:params:xml:ns:caldav}",
    "{http://calendarserver.org/ns/}",
    ("{http://apple.com/ns/ical/}"),
)
NAMESPACES = (
    'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" '
    'xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/" '
    'xmlns:A="http://apple.com/ns/ical/"'
)


def _propfind(
    dav: Dav, path: str, props: str, depth: str = "0"
) -> list[tuple[str, dict[str, object]]]:
    body = f'<?xml version="1.0"?><D:propfind {NAMESPACES}><D:prop>{props}</D:prop></D:propfind>'
    answer = dav.request("PROPFIND", path, body, Depth=depth, Content_Type="application/xml")
    assert answer.status_code == 207, answer.text
    root = parse(answer.content)
    assert root is not None
    result = []
    for response in root.iter(f"{D}response"):
        found: dict[str, object] = {}
        for propstat in response.iter(f"{D}propstat"):
            if "200" in (propstat.findtext(f"{D}status") or ""):
                prop_element = propstat.find(f"{D}prop")
                for prop in prop_element if prop_element is not None else []:
                    found[prop.tag] = prop
        result.append((response.findtext(f"{D}href") or "", found))
    return result


def test_davx5_finds_principal_homes_and_collections(alice: Dav) -> None:
    redirect = alice.client.request("PROPFIND", "/.well-known/caldav", follow_redirects=False)
    assert redirect.status_code == 301
    base = redirect.headers["location"]
    [(_href, root)] = _propfind(alice, base, "<D:resourcetype/><D:current-user-principal/>")
    principal = root[f"{D}current-user-principal"].findtext(f"{D}href")  # type: ignore[attr-defined]
    assert principal == "/dav/principals/alice@example.com/"
    [(_href, me)] = _propfind(
        alice,
        principal,
        "<C:calendar-home-set/><CR:addressbook-home-set/><C:calendar-user-address-set/>"
        "<D:displayname/>",
    )
    home = me[f"{C}calendar-home-set"].findtext(f"{D}href")  # type: ignore[attr-defined]
    assert "mailto:alice@example.com" in [
        h.text
        for h in me[f"{C}calendar-user-address-set"]  # type: ignore[attr-defined]
    ]
    listing = _propfind(
        alice,
        home,
        "<D:resourcetype/><D:displayname/><A:calendar-color/><C:calendar-description/>"
        "<C:supported-calendar-component-set/><D:current-user-privilege-set/><CS:getctag/>"
        "<D:sync-token/><C:calendar-timezone/><D:owner/>",
        depth="1",
    )
    calendars = {href: props for href, props in listing if f"{D}sync-token" in props}
    assert set(calendars) == {home + "personal/", home + "tasks/"}
    comps = calendars[home + "tasks/"][f"{C}supported-calendar-component-set"]
    assert [c.get("name") for c in comps] == ["VTODO"]  # type: ignore[attr-defined]


def test_ios_asks_for_unknown_properties_and_still_gets_an_answer(alice: Dav) -> None:
    listing = _propfind(
        alice,
        "/",
        "<D:current-user-principal/><D:principal-URL/><CS:push-transports/>"
        "<D:resource-id/><CS:email-address-set/>",
    )
    [(_href, root)] = listing
    assert f"{D}current-user-principal" in root
    [(_href, home)] = _propfind(
        alice,
        "/dav/calendars/alice@example.com/",
        "<D:supported-report-set/><D:resourcetype/><CS:getctag/><A:calendar-order/>",
    )
    assert f"{D}supported-report-set" in home


def test_thunderbird_checks_the_calendar_then_lists_etags(alice: Dav) -> None:
    cal = "/dav/calendars/alice@example.com/personal/"
    options = alice.client.options(cal, auth=alice.auth)
    assert "calendar-access" in options.headers["DAV"]
    [(_href, props)] = _propfind(
        alice,
        cal,
        "<D:resourcetype/><D:owner/><D:current-user-principal/><D:current-user-privilege-set/>"
        "<D:supported-report-set/><C:supported-calendar-component-set/><CS:getctag/>",
    )
    assert props[f"{D}resourcetype"].find(f"{C}calendar") is not None  # type: ignore[attr-defined]
    report = f"""<C:calendar-query {NAMESPACES}><D:prop><D:getetag/></D:prop>
      <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>
      </C:filter></C:calendar-query>"""
    answer = alice.request("REPORT", cal, report, Depth="1")
    assert answer.status_code == 207


# Full flows over HTTP against a live server (SQLite and PostgreSQL): discovery, then the first
# sync and a first upload, in the order each client sends its requests.

CARD_NS = "{urn:ietf:params:xml:ns:carddav}"
EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Client//EN\r\nBEGIN:VEVENT\r\n"
    "UID:flow@hamkar.test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\n"
    "DTEND:20260301T100000Z\r\nSUMMARY:From the phone\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
VCARD4 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:flow-card\r\nFN:Parisa Moradi\r\n"
    "N:Moradi;Parisa;;;\r\nEMAIL;TYPE=work:parisa@example.net\r\nEND:VCARD\r\n"
)
VCARD3 = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iOS 17.0//EN\r\nN:Ahmadi;Reza;;;\r\n"
    "FN:Reza Ahmadi\r\nUID:flow-ios-card\r\n"
    "item1.EMAIL;type=INTERNET;type=pref:reza@example.net\r\nEND:VCARD\r\n"
)


def _live(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, auth=("alice@example.com", TEST_PASSWORD))


def _multistatus(
    client: httpx.Client, method: str, path: str, body: str, depth: str = "0", **headers: str
) -> list[tuple[str, dict[str, object]]]:
    answer = client.request(
        method,
        path,
        content=body.encode(),
        headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8", **headers},
    )
    assert answer.status_code == 207, (method, path, answer.status_code, answer.text)
    root = parse(answer.content)
    assert root is not None
    result = []
    for response in root.iter(f"{D}response"):
        found: dict[str, object] = {}
        for propstat in response.iter(f"{D}propstat"):
            if "200" in (propstat.findtext(f"{D}status") or ""):
                prop_element = propstat.find(f"{D}prop")
                for prop in prop_element if prop_element is not None else []:
                    found[prop.tag] = prop
        result.append((response.findtext(f"{D}href") or "", found))
    return result


def _propfind_body(props: str) -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f"{head}<D:propfind {NAMESPACES}><D:prop>{props}</D:prop></D:propfind>"


def _href(props: dict[str, object], name: str) -> str:
    element = props[name]
    return str(element.findtext(f"{D}href"))  # type: ignore[attr-defined]


def _reports(props: dict[str, object]) -> set[str]:
    element = props[f"{D}supported-report-set"]
    return {r[0].tag for r in element.iter(f"{D}report")}  # type: ignore[attr-defined]


def test_davx5_discovery_then_first_sync(dav_server: str) -> None:
    """DavResourceFinder (checkBaseURL, providesService, queryEmailAddress), then
    RefreshCollectionsWorker and the calendar/contacts sync managers of DAVx5 4.x."""
    dav = _live(dav_server)
    # The user typed only the server: PROPFIND depth 0 there, with the CalDAV set of props.
    [(_href0, base)] = _multistatus(
        dav,
        "PROPFIND",
        "/",
        _propfind_body(
            "<D:resourcetype/><D:displayname/><A:calendar-color/><C:calendar-description/>"
            "<C:calendar-timezone/><D:current-user-privilege-set/>"
            "<C:supported-calendar-component-set/><C:calendar-home-set/>"
            "<D:current-user-principal/>"
        ),
    )
    principal = _href(base, f"{D}current-user-principal")
    # providesService: OPTIONS on the principal must announce both services.
    dav_header = dav.options(principal).headers["DAV"]
    assert "calendar-access" in dav_header and "addressbook" in dav_header
    [(_p, me)] = _multistatus(
        dav, "PROPFIND", principal, _propfind_body("<C:calendar-user-address-set/>")
    )
    assert "mailto:alice@example.com" in [
        h.text
        for h in me[f"{C}calendar-user-address-set"]  # type: ignore[attr-defined]
    ]
    [(_p, homes)] = _multistatus(
        dav,
        "PROPFIND",
        principal,
        _propfind_body("<C:calendar-home-set/><CR:addressbook-home-set/><D:group-membership/>"),
    )
    calendar_home = _href(homes, f"{C}calendar-home-set")
    book_home = _href(homes, f"{CARD_NS}addressbook-home-set")
    collection_props = (
        "<D:resourcetype/><D:displayname/><D:owner/><D:current-user-privilege-set/>"
        "<A:calendar-color/><C:calendar-description/><C:calendar-timezone/>"
        "<C:supported-calendar-component-set/><CS:source/><CR:addressbook-description/>"
    )
    listing = dict(
        _multistatus(dav, "PROPFIND", calendar_home, _propfind_body(collection_props), "1")
    )
    personal = calendar_home + "personal/"
    assert f"{D}current-user-privilege-set" in listing[personal]
    # Calendar sync: capabilities, upload, sync-collection (etags only), then multiget.
    [(_c, caps)] = _multistatus(
        dav,
        "PROPFIND",
        personal,
        _propfind_body(
            "<C:max-resource-size/><D:supported-report-set/><CS:getctag/><D:sync-token/>"
        ),
    )
    assert f"{D}sync-collection" in _reports(caps)
    put = dav.put(
        personal + "flow.ics",
        content=EVENT.encode(),
        headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
    )
    assert put.status_code == 201 and put.headers["ETag"]
    sync = _multistatus(
        dav,
        "REPORT",
        personal,
        '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>'
        "<D:prop><D:getetag/></D:prop></D:sync-collection>",
    )
    assert [(h, _text(p, f"{D}getetag")) for h, p in sync] == [
        (personal + "flow.ics", put.headers["ETag"])
    ]
    [(_h, item)] = _multistatus(
        dav,
        "REPORT",
        personal,
        f"<C:calendar-multiget {NAMESPACES}><D:prop><D:getetag/><C:calendar-data/></D:prop>"
        f"<D:href>{personal}flow.ics</D:href></C:calendar-multiget>",
        "1",
    )
    assert "From the phone" in _text(item, f"{C}calendar-data")
    # Contacts sync: vCard 4 is announced, so DAVx5 uploads and asks for vCard 4.
    contacts = book_home + "contacts/"
    [(_b, book)] = _multistatus(
        dav,
        "PROPFIND",
        contacts,
        _propfind_body(
            "<CR:max-resource-size/><CR:supported-address-data/><D:supported-report-set/>"
            "<CS:getctag/><D:sync-token/>"
        ),
    )
    versions = [
        t.get("version")
        for t in book[f"{CARD_NS}supported-address-data"]  # type: ignore[attr-defined]
    ]
    assert "4.0" in versions
    upload = dav.put(
        contacts + "parisa.vcf",
        content=VCARD4.encode(),
        headers={"Content-Type": "text/vcard; version=4.0", "If-None-Match": "*"},
    )
    assert upload.status_code == 201
    assert (
        dav.put(  # a vCard 3 written by another device (iOS) into the same book
            contacts + "reza.vcf", content=VCARD3.encode(), headers={"Content-Type": "text/vcard"}
        ).status_code
        == 201
    )
    fetched = dict(
        _multistatus(
            dav,
            "REPORT",
            contacts,
            f"<CR:addressbook-multiget {NAMESPACES}><D:prop><D:getetag/>"
            '<CR:address-data content-type="text/vcard" version="4.0"/></D:prop>'
            f"<D:href>{contacts}parisa.vcf</D:href><D:href>{contacts}reza.vcf</D:href>"
            "</CR:addressbook-multiget>",
            "1",
        )
    )
    for href in (contacts + "parisa.vcf", contacts + "reza.vcf"):
        assert "VERSION:4.0" in _text(fetched[href], f"{CARD_NS}address-data")
    single = dav.get(
        contacts + "reza.vcf",
        headers={"Accept": "text/vcard;version=4.0, text/vcard;charset=utf-8;q=0.8"},
    )
    assert "VERSION:4.0" in single.text and "Reza Ahmadi" in single.text


def test_ios_discovery_then_first_sync(dav_server: str) -> None:
    """iOS/macOS dataaccessd and CalendarAgent: well-known, the principal with Apple's long
    property list (Prefer: return=minimal), the home with depth 1, then sync-collection and
    multiget; contacts stay vCard 3.0 as iOS wrote them."""
    dav = _live(dav_server)
    moved = dav.request("PROPFIND", "/.well-known/caldav", headers={"Depth": "0"})
    assert moved.status_code == 301
    [(_h, root)] = _multistatus(
        dav,
        "PROPFIND",
        moved.headers["location"],
        _propfind_body("<D:current-user-principal/>"),
    )
    principal = _href(root, f"{D}current-user-principal")
    [(_p, me)] = _multistatus(
        dav,
        "PROPFIND",
        principal,
        _propfind_body(
            "<C:calendar-home-set/><C:calendar-user-address-set/><D:current-user-principal/>"
            "<D:displayname/><CS:dropbox-home-URL/><CS:email-address-set/>"
            "<CS:notification-URL/><D:principal-collection-set/><D:principal-URL/>"
            "<D:resource-id/><C:schedule-inbox-URL/><C:schedule-outbox-URL/>"
            "<D:supported-report-set/>"
        ),
        Prefer="return=minimal",
        Brief="t",
    )
    assert _href(me, f"{D}principal-URL") == principal
    home = _href(me, f"{C}calendar-home-set")
    listing = dict(
        _multistatus(
            dav,
            "PROPFIND",
            home,
            _propfind_body(
                "<A:calendar-order/><A:calendar-color/><CS:getctag/><D:sync-token/>"
                "<C:supported-calendar-component-set/><D:resourcetype/><D:displayname/>"
                "<D:current-user-privilege-set/><D:owner/><CS:push-transports/><CS:pushkey/>"
                "<CS:source/><C:calendar-free-busy-set/><C:schedule-calendar-transp/>"
                "<D:quota-available-bytes/><D:quota-used-bytes/><D:add-member/>"
            ),
            "1",
        )
    )
    personal = home + "personal/"
    assert f"{C}calendar" in {
        t.tag
        for t in listing[personal][f"{D}resourcetype"]  # type: ignore[attr-defined]
    }
    # iOS writes an event, then syncs with sync-collection (etag and content type).
    assert dav.put(personal + "ios.ics", content=EVENT.encode()).status_code == 201
    sync_body = (
        '<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>'
        "<D:sync-level>1</D:sync-level><D:prop><D:getcontenttype/><D:getetag/></D:prop>"
        "</D:sync-collection>"
    )
    answer = dav.request(
        "REPORT", personal, content=sync_body.format(token="").encode(), headers={"Depth": "1"}
    )
    assert answer.status_code == 207 and "ios.ics" in answer.text
    token = parse(answer.content).findtext(f"{D}sync-token")  # type: ignore[union-attr]
    again = dav.request(
        "REPORT", personal, content=sync_body.format(token=token).encode(), headers={"Depth": "1"}
    )
    assert again.status_code == 207 and "ios.ics" not in again.text  # nothing changed
    # Contacts: well-known CardDAV, the book home, a vCard 3 upload that stays 3.0.
    assert dav.request("PROPFIND", "/.well-known/carddav").status_code == 301
    [(_p, card_me)] = _multistatus(
        dav, "PROPFIND", principal, _propfind_body("<CR:addressbook-home-set/>")
    )
    books = _href(card_me, f"{CARD_NS}addressbook-home-set")
    assert dav.put(books + "contacts/reza.vcf", content=VCARD3.encode()).status_code == 201
    [(_h, card_item)] = _multistatus(
        dav,
        "REPORT",
        books + "contacts/",
        f"<CR:addressbook-multiget {NAMESPACES}><D:prop><D:getetag/><CR:address-data/>"
        f"</D:prop><D:href>{books}contacts/reza.vcf</D:href></CR:addressbook-multiget>",
        "1",
    )
    assert _text(card_item, f"{CARD_NS}address-data") == VCARD3


def test_thunderbird_discovery_then_first_sync(dav_server: str) -> None:
    """Thunderbird's calDavCalendar.js: checkDavResourceType, checkServerCaps (OPTIONS),
    the principal's scheduling properties, then the etag listing and a multiget; and its
    CardDAV address book: discovery from the root, the home, sync-collection, multiget."""
    dav = _live(dav_server)
    calendar = "/dav/calendars/alice@example.com/personal/"
    [(_h, props)] = _multistatus(
        dav,
        "PROPFIND",
        calendar,
        _propfind_body(
            "<D:resourcetype/><D:owner/><D:current-user-principal/>"
            "<D:current-user-privilege-set/><D:supported-report-set/>"
            "<C:supported-calendar-component-set/><CS:getctag/>"
        ),
    )
    assert f"{C}calendar-multiget" in _reports(props)
    assert "calendar-access" in dav.options(calendar).headers["DAV"]
    principal = _href(props, f"{D}current-user-principal")
    [(_p, me)] = _multistatus(
        dav,
        "PROPFIND",
        principal,
        _propfind_body(
            "<C:calendar-home-set/><C:calendar-user-address-set/><C:schedule-inbox-URL/>"
            "<C:schedule-outbox-URL/>"
        ),
    )
    assert _href(me, f"{C}calendar-home-set") == "/dav/calendars/alice@example.com/"
    assert dav.put(calendar + "tb.ics", content=EVENT.encode()).status_code == 201
    # Without a sync token Thunderbird lists etags by PROPFIND depth 1, then multigets.
    etags = _multistatus(
        dav,
        "PROPFIND",
        calendar,
        _propfind_body("<D:getcontenttype/><D:resourcetype/><D:getetag/>"),
        "1",
    )
    items = [h for h, p in etags if f"{D}getetag" in p]
    assert items == [calendar + "tb.ics"]
    [(_h, item)] = _multistatus(
        dav,
        "REPORT",
        calendar,
        f"<C:calendar-multiget {NAMESPACES}><D:prop><D:getetag/><C:calendar-data/></D:prop>"
        f"<D:href>{items[0]}</D:href></C:calendar-multiget>",
        "1",
    )
    assert "From the phone" in _text(item, f"{C}calendar-data")
    # CardDAV (Thunderbird 102+): root, principal, home depth 1, then sync and multiget.
    [(_h, root)] = _multistatus(dav, "PROPFIND", "/", _propfind_body("<D:current-user-principal/>"))
    [(_p, card_me)] = _multistatus(
        dav,
        "PROPFIND",
        _href(root, f"{D}current-user-principal"),
        _propfind_body("<CR:addressbook-home-set/>"),
    )
    home = _href(card_me, f"{CARD_NS}addressbook-home-set")
    books = dict(
        _multistatus(
            dav,
            "PROPFIND",
            home,
            _propfind_body("<D:resourcetype/><D:displayname/><D:current-user-privilege-set/>"),
            "1",
        )
    )
    assert {home + "contacts/", home + "directory/"} <= set(books)
    assert dav.put(home + "contacts/parisa.vcf", content=VCARD4.encode()).status_code == 201
    changes = _multistatus(
        dav,
        "REPORT",
        home + "contacts/",
        '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>'
        "<D:prop><D:getetag/></D:prop></D:sync-collection>",
        "1",
    )
    assert [h for h, _p in changes] == [home + "contacts/parisa.vcf"]
    [(_h, card_item)] = _multistatus(
        dav,
        "REPORT",
        home + "contacts/",
        f"<CR:addressbook-multiget {NAMESPACES}><D:prop><D:getetag/><CR:address-data/>"
        f"</D:prop><D:href>{home}contacts/parisa.vcf</D:href></CR:addressbook-multiget>",
        "1",
    )
    assert "Parisa Moradi" in _text(card_item, f"{CARD_NS}address-data")


def _text(props: dict[str, object], name: str) -> str:
    element = props[name]
    return str(element.text or "")  # type: ignore[attr-defined]
