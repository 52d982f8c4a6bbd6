"""Discovery as DAVx5, iOS/macOS and Thunderbird do it (requests written from their public
documentation and logs they publish), answered with what each client needs next."""

from __future__ import annotations

from app.dav.xml import parse
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
