"""The `caldav` library as a real client over HTTP against a live server."""

from __future__ import annotations

from datetime import UTC, datetime

import caldav
import httpx
import pytest
from caldav.lib import error

from tests.conftest import TEST_PASSWORD

RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Hamkar tests//EN
BEGIN:VTIMEZONE
TZID:Asia/Tehran
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0330
TZOFFSETTO:+0330
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:standup@hamkar.test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tehran:20260105T093000
DTEND;TZID=Asia/Tehran:20260105T100000
RRULE:FREQ=WEEKLY;BYDAY=MO
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:standup@hamkar.test
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Asia/Tehran:20260112T093000
DTSTART;TZID=Asia/Tehran:20260113T140000
DTEND;TZID=Asia/Tehran:20260113T143000
SUMMARY:Standup (moved to Tuesday)
END:VEVENT
END:VCALENDAR
"""

SINGLE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Hamkar tests//EN
BEGIN:VEVENT
UID:review@hamkar.test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260220T150000
DTEND;TZID=Europe/Berlin:20260220T160000
SUMMARY:Quarterly review
END:VEVENT
END:VCALENDAR
"""

TODO = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Hamkar tests//EN
BEGIN:VTODO
UID:{uid}
DTSTAMP:20260101T000000Z
DUE:20260301T170000Z
PRIORITY:1
PERCENT-COMPLETE:40
STATUS:IN-PROCESS
SUMMARY:{summary}
{related}END:VTODO
END:VCALENDAR
"""


def _client(url: str, user: str = "alice@example.com") -> caldav.DAVClient:
    return caldav.DAVClient(url=url, username=user, password=TEST_PASSWORD)


def test_discovery_from_the_server_root_finds_the_default_collections(dav_server: str) -> None:
    principal = _client(dav_server + "/").principal()
    assert str(principal.url).endswith("/dav/principals/alice@example.com/")
    urls = sorted(str(c.url) for c in principal.calendars())
    assert urls == [
        dav_server + "/dav/calendars/alice@example.com/personal/",
        dav_server + "/dav/calendars/alice@example.com/tasks/",
    ]
    # Typed without the trailing slash, the service address works the same.
    bare = _client(dav_server + "/dav").principal()
    assert str(bare.url).endswith("/dav/principals/alice@example.com/")
    assert len(bare.calendars()) == 2
    # The well-known addresses redirect to the service (RFC 6764 5), for PROPFIND too.
    for service in ("caldav", "carddav"):
        answer = httpx.request("PROPFIND", f"{dav_server}/.well-known/{service}")
        assert answer.status_code == 301 and answer.headers["location"] == "/dav/"


def test_recurring_events_with_exceptions_expand_in_a_time_range(dav_server: str) -> None:
    principal = _client(dav_server).principal()
    calendar = principal.make_calendar(name="Work", cal_id="work")
    calendar.save_event(RECURRING)
    calendar.save_event(SINGLE)
    found = calendar.search(
        start=datetime(2026, 1, 10, tzinfo=UTC),
        end=datetime(2026, 1, 24, tzinfo=UTC),
        event=True,
        expand=True,
    )
    starts = sorted(e.icalendar_component["DTSTART"].dt.astimezone(UTC) for e in found)
    # Jan 12 moved to Tuesday 13th 14:00 Tehran (10:30 UTC); Jan 19 stays Monday 06:00 UTC.
    assert starts == [
        datetime(2026, 1, 13, 10, 30, tzinfo=UTC),
        datetime(2026, 1, 19, 6, 0, tzinfo=UTC),
    ]
    february = calendar.search(
        start=datetime(2026, 2, 20, tzinfo=UTC), end=datetime(2026, 2, 21, tzinfo=UTC), event=True
    )
    assert {e.icalendar_component["UID"] for e in february} == {"review@hamkar.test"}


def test_todos_with_due_priority_progress_and_subtasks(dav_server: str) -> None:
    principal = _client(dav_server).principal()
    tasks = principal.calendar(cal_id="tasks")
    tasks.save_todo(TODO.format(uid="parent@hamkar.test", summary="Ship release", related=""))
    tasks.save_todo(
        TODO.format(
            uid="child@hamkar.test",
            summary="Write notes",
            related="RELATED-TO;RELTYPE=PARENT:parent@hamkar.test\n",
        )
    )
    todos = {t.icalendar_component["UID"]: t.icalendar_component for t in tasks.todos()}
    child = todos["child@hamkar.test"]
    assert str(child["RELATED-TO"]) == "parent@hamkar.test"
    assert int(child["PRIORITY"]) == 1 and int(child["PERCENT-COMPLETE"]) == 40
    assert child["DUE"].dt == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    # The task list accepts tasks only (RFC 4791 supported-calendar-component).
    with pytest.raises(error.DAVError):
        tasks.save_event(SINGLE)


def test_sync_token_reports_changes_and_deletions(dav_server: str) -> None:
    calendar = _client(dav_server).principal().calendar(cal_id="personal")
    event = calendar.save_event(SINGLE)
    initial = calendar.objects_by_sync_token(load_objects=False)
    assert len(list(initial)) == 1
    token = initial.sync_token
    second = calendar.save_event(RECURRING)
    event.delete()
    changes = calendar.objects_by_sync_token(sync_token=token, load_objects=False)
    changed = [str(o.url) for o in changes]
    assert str(second.url) in changed and str(event.url) in changed
    assert changes.sync_token != token


def test_stale_etag_is_refused_and_nothing_is_lost(dav_server: str) -> None:
    client = _client(dav_server)
    calendar = client.principal().calendar(cal_id="personal")
    event = calendar.save_event(SINGLE)
    url = str(event.url)
    first = client.request(url, "GET")
    etag = first.headers["ETag"]
    changed = SINGLE.replace("Quarterly review", "Quarterly review (room 2)")
    ok = client.request(url, "PUT", changed, {"If-Match": etag, "Content-Type": "text/calendar"})
    assert ok.status == 204
    stale = client.request(
        url,
        "PUT",
        SINGLE.replace("review", "party"),
        {"If-Match": etag, "Content-Type": "text/calendar"},
    )
    assert stale.status == 412
    assert "room 2" in client.request(url, "GET").raw
    event.delete()
    assert client.request(url, "GET").status == 404


VCARD3 = """BEGIN:VCARD
VERSION:3.0
UID:mina@hamkar.test
FN:Mina Rahimi
N:Rahimi;Mina;;;
EMAIL;TYPE=INTERNET:mina@example.net
TEL;TYPE=CELL:+98 912 000 0000
END:VCARD
"""

VCARD4 = """BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:Jonas Becker
EMAIL;TYPE=work:jonas@example.de
END:VCARD
"""


def test_address_book_with_vcard_3_and_4(dav_server: str) -> None:
    client = _client(dav_server)
    book = dav_server + "/dav/addressbooks/alice@example.com/contacts/"
    for name, card in (("mina.vcf", VCARD3), ("jonas.vcf", VCARD4)):
        response = client.request(book + name, "PUT", card, {"Content-Type": "text/vcard"})
        assert response.status == 201
    query = """<?xml version="1.0"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
  <C:filter><C:prop-filter name="EMAIL"><C:text-match match-type="ends-with">.de</C:text-match>
  </C:prop-filter></C:filter>
</C:addressbook-query>"""
    found = client.request(book, "REPORT", query, {"Depth": "1", "Content-Type": "application/xml"})
    assert found.status == 207
    assert "Jonas Becker" in found.raw and "Mina" not in found.raw
    listing = client.propfind(book, "", depth=1)
    assert "mina.vcf" in listing.raw and "jonas.vcf" in listing.raw
    with pytest.raises(error.AuthorizationError) as refused:
        client.request(
            book + "broken.vcf", "PUT", "BEGIN:VCARD\nFN:x\n", {"Content-Type": "text/vcard"}
        )
    body = refused.value.body
    assert b"valid-address-data" in (body if isinstance(body, bytes) else str(body).encode())
    assert client.request(book + "broken.vcf", "GET").status == 404


def test_tasks_synced_by_a_client_show_on_the_tasks_page(dav_server: str) -> None:
    tasks = _client(dav_server).principal().calendar(cal_id="tasks")
    tasks.save_todo(TODO.format(uid="p@hamkar.test", summary="Plan the offsite", related=""))
    tasks.save_todo(
        TODO.format(
            uid="c@hamkar.test",
            summary="Book the venue",
            related="RELATED-TO;RELTYPE=PARENT:p@hamkar.test\n",
        )
    )
    from tests.helpers import csrf_token

    web = httpx.Client(base_url=dav_server)
    token = csrf_token(web, "/login")  # type: ignore[arg-type]
    web.post(
        "/login",
        data={"email": "alice@example.com", "password": TEST_PASSWORD, "csrf_token": token},
    )
    page = web.get("/tasks").text
    assert "Plan the offsite" in page and "Book the venue" in page
    # The subtask is nested under its parent.
    assert (
        page.index("Plan the offsite")
        < page.index('class="subtasks"')
        < page.index("Book the venue")
    )
