"""RFC 6638 basics over HTTP against a live server: the scheduling inbox and outbox of a
principal, and free/busy requests POSTed to the outbox (with the `caldav` library too),
answered for colleagues of the same organization only."""

from __future__ import annotations

from datetime import UTC, datetime

import caldav
import httpx
from sqlalchemy.orm import Session

from app.dav.xml import parse
from tests.conftest import TEST_PASSWORD
from tests.dav.samples import event

C = "{urn:ietf:params:xml:ns:caldav}"
PRINCIPAL = "/dav/principals/alice@example.com/"
OUTBOX = PRINCIPAL + "outbox/"


def _request(organizer: str, attendees: list[str], component: str = "VFREEBUSY") -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Thunderbird//EN",
        "METHOD:REQUEST",
        f"BEGIN:{component}",
        "UID:fb-1@hamkar.test",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260302T000000Z",
        "DTEND:20260303T000000Z",
        f"ORGANIZER:mailto:{organizer}",
        *[f"ATTENDEE:mailto:{a}" for a in attendees],
        f"END:{component}",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


def _post(client: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": "text/calendar"})


def test_principal_has_an_inbox_and_an_outbox(live_directory: tuple[str, Session]) -> None:
    base, _db = live_directory
    alice = httpx.Client(base_url=base, auth=("alice@example.com", TEST_PASSWORD))
    answer = alice.request(
        "PROPFIND",
        PRINCIPAL,
        content=b'<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
        b"<C:schedule-inbox-URL/><C:schedule-outbox-URL/><C:calendar-user-type/>"
        b"</D:prop></D:propfind>",
        headers={"Depth": "0"},
    )
    root = parse(answer.content)
    assert root is not None
    assert root.findtext(f".//{C}schedule-inbox-URL/{{DAV:}}href") == PRINCIPAL + "inbox/"
    assert root.findtext(f".//{C}schedule-outbox-URL/{{DAV:}}href") == OUTBOX
    assert root.findtext(f".//{C}calendar-user-type") == "INDIVIDUAL"
    for box, kind in (("inbox/", "schedule-inbox"), ("outbox/", "schedule-outbox")):
        listing = alice.request("PROPFIND", PRINCIPAL + box, headers={"Depth": "1"})
        assert listing.status_code == 207 and f"<c:{kind}/>" in listing.text
        assert listing.text.count("<d:response>") == 1  # nothing inside
    # Someone else's outbox does not exist for alice.
    bob_outbox = "/dav/principals/bob@example.com/outbox/"
    assert (
        _post(alice, bob_outbox, _request("bob@example.com", ["alice@example.com"])).status_code
        == 404
    )


def test_free_busy_of_colleagues_by_outbox_post(live_directory: tuple[str, Session]) -> None:
    base, _db = live_directory
    bob = httpx.Client(base_url=base, auth=("bob@example.com", TEST_PASSWORD))
    calendar = "/dav/calendars/bob@example.com/personal/"
    busy = event("busy", start="20260302T100000Z", summary="Secret meeting")
    free = event("free", start="20260302T140000Z", extra="TRANSP:TRANSPARENT\r\n")
    assert bob.put(calendar + "busy.ics", content=busy).status_code == 201
    assert bob.put(calendar + "free.ics", content=free).status_code == 201
    # With the caldav library: Principal.freebusy_request finds the outbox and POSTs to it.
    principal = caldav.DAVClient(
        url=base, username="alice@example.com", password=TEST_PASSWORD
    ).principal()
    result = principal.freebusy_request(
        datetime(2026, 3, 2, tzinfo=UTC),
        datetime(2026, 3, 3, tzinfo=UTC),
        ["mailto:bob@example.com"],
    )
    reply = result["mailto:bob@example.com"].icalendar_component
    periods = [str(p.to_ical().decode()) for p in _list(reply["FREEBUSY"])]
    assert periods == ["20260302T100000Z/20260302T110000Z"]
    # Raw, as Thunderbird sends it: outside the organization or unknown gets 3.7.
    alice = httpx.Client(base_url=base, auth=("alice@example.com", TEST_PASSWORD))
    answer = _post(
        alice,
        OUTBOX,
        _request(
            "alice@example.com", ["bob@example.com", "carol@example.org", "nobody@example.com"]
        ),
    )
    assert answer.status_code == 200 and "Secret meeting" not in answer.text
    root = parse(answer.content)
    assert root is not None
    statuses = {
        r.findtext(f"{C}recipient/{{DAV:}}href"): r.findtext(f"{C}request-status")
        for r in root.iter(f"{C}response")
    }
    assert statuses == {
        "mailto:bob@example.com": "2.0;Success",
        "mailto:carol@example.org": "3.7;Invalid calendar user",
        "mailto:nobody@example.com": "3.7;Invalid calendar user",
    }
    assert "METHOD:REPLY" in answer.text and "FBTYPE=BUSY:20260302T100000Z" in answer.text


def test_outbox_refuses_what_it_does_not_do(live_directory: tuple[str, Session]) -> None:
    base, _db = live_directory
    alice = httpx.Client(base_url=base, auth=("alice@example.com", TEST_PASSWORD))
    as_bob = _post(alice, OUTBOX, _request("bob@example.com", ["info@example.com"]))
    assert as_bob.status_code == 403 and "organizer-allowed" in as_bob.text
    invitation = _post(alice, OUTBOX, _request("alice@example.com", ["bob@example.com"], "VEVENT"))
    assert invitation.status_code == 403 and "valid-scheduling-message" in invitation.text
    assert _post(alice, OUTBOX, b"not a calendar").status_code == 400
    calendar = "/dav/calendars/alice@example.com/personal/"
    assert _post(alice, calendar, _request("alice@example.com", [])).status_code == 405


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def test_server_side_scheduling_is_not_announced(live_directory: tuple[str, Session]) -> None:
    """Hamkar does free/busy through the outbox but no implicit scheduling (RFC 6638 3.2): a PUT
    with attendees sends nothing and is stored as sent. So the DAV header must not say
    calendar-auto-schedule (RFC 6638 2), or clients would leave the invitations to the server
    and nobody would receive them; without it they send iMIP themselves."""
    base, _db = live_directory
    client = caldav.DAVClient(url=base, username="alice@example.com", password=TEST_PASSWORD)
    assert client.supports_caldav() and not client.supports_scheduling()
    alice = httpx.Client(base_url=base, auth=("alice@example.com", TEST_PASSWORD))
    calendar = "/dav/calendars/alice@example.com/personal/"
    for path in ("/dav/", PRINCIPAL, calendar):
        classes = [c.strip() for c in alice.options(path).headers["DAV"].split(",")]
        assert "calendar-access" in classes and "calendar-auto-schedule" not in classes
    meeting = event(
        "meeting",
        extra="ORGANIZER:mailto:alice@example.com\r\n"
        "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com\r\n",
    )
    stored = alice.put(calendar + "meeting.ics", content=meeting)
    assert stored.status_code == 201 and "calendar-auto-schedule" not in stored.headers["DAV"]
    assert alice.get(calendar + "meeting.ics").text == meeting  # no SCHEDULE-STATUS added
    bob = httpx.Client(base_url=base, auth=("bob@example.com", TEST_PASSWORD))
    inbox = bob.request(
        "PROPFIND", "/dav/principals/bob@example.com/inbox/", headers={"Depth": "1"}
    )
    assert inbox.text.count("<d:response>") == 1  # nothing was delivered
