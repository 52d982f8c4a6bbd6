"""iCalendar and vCard bodies shared by the DAV tests."""

from __future__ import annotations


def event(
    uid: str, start: str = "20260210T090000Z", summary: str = "Planning", extra: str = ""
) -> str:
    """A one-hour VEVENT in UTC."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hamkar tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\n"
        f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def card(uid: str, name: str = "Sara Karimi", email: str = "sara@example.net") -> str:
    """A vCard 4.0."""
    return f"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{name}\r\nEMAIL:{email}\r\nEND:VCARD\r\n"


def query(start: str, end: str, component: str = "VEVENT", inner: str = "") -> str:
    """A calendar-query REPORT for a time range."""
    return f"""<?xml version="1.0"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="{component}">
    <C:time-range start="{start}" end="{end}"/>{inner}
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
