"""Partial calendar data (RFC 4791 9.6) and partial address data (RFC 6352 10.4) over HTTP
against a live server, with the `caldav` library and raw requests."""

from __future__ import annotations

from datetime import UTC, datetime

import caldav
import httpx
import icalendar

from app.calendar.partial import DataRequest, partial
from app.calendar.query import TimeRange
from app.dav.xml import parse
from tests.conftest import TEST_PASSWORD
from tests.dav.samples import card

AUTH = ("alice@example.com", TEST_PASSWORD)
CAL = "/dav/calendars/alice@example.com/personal/"
BOOK = "/dav/addressbooks/alice@example.com/contacts/"
NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'
CARD_NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'

SERIES = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Hamkar tests//EN
BEGIN:VEVENT
UID:weekly@hamkar.test
DTSTAMP:20260101T000000Z
DTSTART:20260105T090000Z
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=10
SUMMARY:Weekly
DESCRIPTION:A long agenda nobody syncs to a watch
LOCATION:Room 4
ATTACH;FMTTYPE=text/plain:https://example.com/agenda.txt
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Soon
TRIGGER:-PT10M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:weekly@hamkar.test
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260112T090000Z
DTSTART:20260112T150000Z
DURATION:PT1H
SUMMARY:Weekly (afternoon, January)
END:VEVENT
BEGIN:VEVENT
UID:weekly@hamkar.test
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260302T090000Z
DTSTART:20260302T150000Z
DURATION:PT1H
SUMMARY:Weekly (afternoon, March)
END:VEVENT
END:VCALENDAR
"""


def _report(base: str, path: str, body: str) -> dict[str, str]:
    """REPORT over HTTP; the calendar-data or address-data text of each href."""
    answer = httpx.request(
        "REPORT",
        base + path,
        content=body.encode(),
        headers={"Depth": "1", "Content-Type": "application/xml"},
        auth=AUTH,
    )
    assert answer.status_code == 207, answer.text
    root = parse(answer.content)
    assert root is not None
    found = {}
    for response in root.iter("{DAV:}response"):
        href = response.findtext("{DAV:}href") or ""
        for data in response.iter():
            if data.tag in (
                "{urn:ietf:params:xml:ns:caldav}calendar-data",
                "{urn:ietf:params:xml:ns:carddav}address-data",
            ):
                found[href] = data.text or ""
    return found


def _put(base: str, path: str, text: str, kind: str) -> None:
    answer = httpx.put(
        base + path, content=text.encode(), headers={"Content-Type": kind}, auth=AUTH
    )
    assert answer.status_code in (201, 204), answer.text


def _query(data: str, filter_: str = '<C:comp-filter name="VEVENT"/>') -> str:
    return f"""<C:calendar-query {NS}><D:prop><D:getetag/>{data}</D:prop>
      <C:filter><C:comp-filter name="VCALENDAR">{filter_}</C:comp-filter></C:filter>
    </C:calendar-query>"""


def test_comp_and_prop_selection_in_query_and_multiget(dav_server: str) -> None:
    _put(dav_server, CAL + "weekly.ics", SERIES, "text/calendar")
    selection = """<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/>
      <C:comp name="VEVENT"><C:prop name="UID"/><C:prop name="DTSTART"/>
        <C:prop name="RECURRENCE-ID"/><C:prop name="SUMMARY"/>
        <C:prop name="ATTACH" novalue="yes"/></C:comp>
    </C:comp></C:calendar-data>"""
    queried = _report(dav_server, CAL, _query(selection))[CAL + "weekly.ics"]
    multiget = f"""<C:calendar-multiget {NS}><D:prop>{selection}</D:prop>
      <D:href>{CAL}weekly.ics</D:href></C:calendar-multiget>"""
    fetched = _report(dav_server, CAL, multiget)[CAL + "weekly.ics"]
    for text in (queried, fetched):
        cal = icalendar.Calendar.from_ical(text)
        assert "PRODID" not in cal and str(cal["VERSION"]) == "2.0"
        events = cal.walk("VEVENT")
        assert len(events) == 3 and not cal.walk("VALARM")
        for event in events:
            assert set(event) <= {"UID", "DTSTART", "RECURRENCE-ID", "SUMMARY", "ATTACH"}
            assert "DESCRIPTION" not in event and "RRULE" not in event
        assert "ATTACH;FMTTYPE=text/plain:\r\n" in text  # the name and parameters, no value
        assert "agenda.txt" not in text and "Room 4" not in text


def test_allprop_and_allcomp_keep_everything_and_the_caldav_library_reads_it(
    dav_server: str,
) -> None:
    calendar = (
        caldav.DAVClient(url=dav_server, username=AUTH[0], password=AUTH[1])
        .principal()
        .calendar(cal_id="personal")
    )
    calendar.save_event(SERIES)
    query = _query(
        '<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp>'
        "</C:calendar-data>"
    )
    [event] = calendar.search(xml=query)
    component = event.icalendar_instance
    assert str(component["PRODID"]) == "-//Hamkar tests//EN"
    assert len(component.walk("VEVENT")) == 3 and len(component.walk("VALARM")) == 1
    # VEVENT with allprop and no comps: the alarm goes, the properties stay.
    query = _query(
        '<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT">'
        "<C:allprop/></C:comp></C:comp></C:calendar-data>"
    )
    [event] = calendar.search(xml=query)
    assert not event.icalendar_instance.walk("VALARM")
    assert "Room 4" in event.data


def test_limit_recurrence_set_keeps_the_master_and_overrides_in_range(dav_server: str) -> None:
    _put(dav_server, CAL + "weekly.ics", SERIES, "text/calendar")
    limited = _report(
        dav_server,
        CAL,
        _query(
            '<C:calendar-data><C:limit-recurrence-set start="20260110T000000Z"'
            ' end="20260120T000000Z"/></C:calendar-data>'
        ),
    )[CAL + "weekly.ics"]
    events = icalendar.Calendar.from_ical(limited).walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == ["Weekly", "Weekly (afternoon, January)"]  # March is out of range
    assert any("RRULE" in e for e in events)  # the master keeps its rule: not expanded
    # Combined with a selection; and expand with limit-recurrence-set is refused.
    both = """<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT">
      <C:prop name="SUMMARY"/></C:comp></C:comp>
      <C:limit-recurrence-set start="20260301T000000Z" end="20260310T000000Z"/>
    </C:calendar-data>"""
    text = _report(dav_server, CAL, _query(both))[CAL + "weekly.ics"]
    assert "afternoon\\, March" in text and "January" not in text and "DTSTART" not in text
    refused = httpx.request(
        "REPORT",
        dav_server + CAL,
        content=_query(
            '<C:calendar-data><C:expand start="20260101T000000Z" end="20260201T000000Z"/>'
            '<C:limit-recurrence-set start="20260101T000000Z" end="20260201T000000Z"/>'
            "</C:calendar-data>"
        ).encode(),
        headers={"Depth": "1"},
        auth=AUTH,
    )
    assert refused.status_code == 400


def test_expand_with_a_selection(dav_server: str) -> None:
    _put(dav_server, CAL + "weekly.ics", SERIES, "text/calendar")
    data = """<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT">
      <C:prop name="DTSTART"/><C:prop name="SUMMARY"/></C:comp></C:comp>
      <C:expand start="20260110T000000Z" end="20260127T000000Z"/></C:calendar-data>"""
    text = _report(dav_server, CAL, _query(data))[CAL + "weekly.ics"]
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert sorted(e["DTSTART"].dt for e in events) == [
        datetime(2026, 1, 12, 15, 0, tzinfo=UTC),
        datetime(2026, 1, 19, 9, 0, tzinfo=UTC),
        datetime(2026, 1, 26, 9, 0, tzinfo=UTC),
    ]
    assert all(set(e) == {"DTSTART", "SUMMARY"} for e in events)


def test_limit_freebusy_set_is_accepted_and_trims_vfreebusy_periods(dav_server: str) -> None:
    _put(dav_server, CAL + "weekly.ics", SERIES, "text/calendar")
    data = (
        '<C:calendar-data><C:limit-freebusy-set start="20260101T000000Z"'
        ' end="20260102T000000Z"/></C:calendar-data>'
    )
    # Calendar collections hold no VFREEBUSY here (RFC 4791 4.1 allows us to refuse them), so
    # events come back whole; the periods are trimmed where VFREEBUSY components exist.
    assert "Weekly" in _report(dav_server, CAL, _query(data))[CAL + "weekly.ics"]
    freebusy = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\n"
        "FREEBUSY:20260101T100000Z/20260101T110000Z,20260201T100000Z/PT1H\r\n"
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260101T230000Z/20260102T010000Z\r\n"
        "END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
    window = TimeRange(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    trimmed = partial(freebusy, DataRequest(limit_freebusy=window))
    assert "20260101T100000Z" in trimmed and "20260101T230000Z" in trimmed
    assert "20260201" not in trimmed


def test_an_unsupported_calendar_data_type_is_refused(dav_server: str) -> None:
    answer = httpx.request(
        "REPORT",
        dav_server + CAL,
        content=_query(
            '<C:calendar-data content-type="application/calendar+json"><C:comp name="VCALENDAR"/>'
            "</C:calendar-data>"
        ).encode(),
        headers={"Depth": "1"},
        auth=AUTH,
    )
    assert answer.status_code == 403 and "supported-calendar-data" in answer.text


def test_address_data_prop_selection_in_query_and_multiget(dav_server: str) -> None:
    _put(
        dav_server, BOOK + "sara.vcf", card("sara", "Sara Karimi", "sara@example.net"), "text/vcard"
    )
    data = (
        '<C:address-data><C:prop name="EMAIL"/><C:prop name="UID" novalue="yes"/></C:address-data>'
    )
    query = f"""<C:addressbook-query {CARD_NS}><D:prop><D:getetag/>{data}</D:prop>
      </C:addressbook-query>"""
    multiget = f"""<C:addressbook-multiget {CARD_NS}><D:prop>{data}</D:prop>
      <D:href>{BOOK}sara.vcf</D:href></C:addressbook-multiget>"""
    for body in (query, multiget):
        text = _report(dav_server, BOOK, body)[BOOK + "sara.vcf"]
        assert "EMAIL:sara@example.net" in text and "UID:\r\n" in text
        assert "Sara Karimi" not in text and "VERSION:4.0" in text
