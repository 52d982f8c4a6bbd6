"""Hostile iCalendar and vCard bodies, and bob reaching for alice's data: each answer is a clear
refusal (or a bounded answer) within seconds, never a hang or a 500, and alice's data stays.

Live server on SQLite only (parsing and rights do not depend on the database); about 15 s.
"""

from __future__ import annotations

import time

import httpx

from tests.conftest import TEST_PASSWORD
from tests.dav.conftest import BOOK, CAL, AliceData
from tests.dav.samples import card, event
from tests.hostile import ALICE, BOB, case

BOB_CAL = f"/dav/calendars/{BOB}/personal/"
HOSTILE_CAL = f"/dav/calendars/{ALICE}/hostile/"
HOSTILE_BOOK = f"/dav/addressbooks/{ALICE}/hostile/"
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


def _vevent(uid: str, extra: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\n"
        f"DURATION:PT1S\r\nSUMMARY:x\r\n{extra}END:VEVENT\r\n"
    )


CALENDAR_BODIES: dict[str, tuple[bytes, set[int]]] = {
    "utf-16": (event("u16").encode("utf-16"), {400}),
    "latin-1": (event("l1", summary="caf\xe9").encode("latin-1"), {400}),
    "nul": (event("nul", summary="a\x00b").encode(), {400, 403}),
    "empty": (b"", {400, 403}),
    "not ical": (b"hello", {400, 403}),
    "deep": (
        (HEAD + "BEGIN:VEVENT\r\n" * 10_000 + "END:VEVENT\r\n" * 10_000 + TAIL).encode(),
        {400, 403},
    ),
    "100k properties": (
        (HEAD + _vevent("many", "X-P:1\r\n" * 100_000) + TAIL).encode(),
        {201, 403, 413},
    ),
    "no uid": (event("n").replace("UID:n\r\n", "").encode(), {403}),
    "two uids": ((HEAD + _vevent("one") + _vevent("two") + TAIL).encode(), {403}),
    "secondly forever": ((HEAD + _vevent("s", "RRULE:FREQ=SECONDLY\r\n") + TAIL).encode(), {403}),
    "every second by lists": (
        (
            HEAD
            + _vevent(
                "b",
                "RRULE:FREQ=DAILY;BYHOUR="
                + ",".join(map(str, range(24)))
                + ";BYMINUTE="
                + ",".join(map(str, range(60)))
                + ";BYSECOND="
                + ",".join(map(str, range(60)))
                + "\r\n",
            )
            + TAIL
        ).encode(),
        {403},
    ),
    "broken rule": ((HEAD + _vevent("r", "RRULE:FREQ=NEVER;COUNT=x\r\n") + TAIL).encode(), {403}),
}
CARD_BODIES: dict[str, tuple[bytes, set[int]]] = {
    "utf-16": (card("c16").encode("utf-16"), {400}),
    "nul": (card("cn", name="a\x00b").encode(), {400, 403}),
    "deep": (("BEGIN:VCARD\r\n" * 10_000 + "END:VCARD\r\n" * 10_000).encode(), {400, 403}),
    "100k properties": (
        card("cm").replace("END:VCARD", "NOTE:x\r\n" * 100_000 + "END:VCARD").encode(),
        {201, 403, 413},
    ),
    "two cards": ((card("c1") + card("c2")).encode(), {400, 403}),
    "not a card": (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", {400, 403, 415}),
}


def test_hostile_calendar_and_card_bodies_are_refused_quickly(owner: AliceData) -> None:
    assert owner.http.request("MKCALENDAR", HOSTILE_CAL).status_code == 201
    mkcol = (
        '<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
        "<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set>"
        "</D:mkcol>"
    )
    assert owner.http.request("MKCOL", HOSTILE_BOOK, content=mkcol).status_code == 201
    cases = [
        case("PUT", f"{HOSTILE_CAL}{i}.ics", *codes, body=body, Content_Type="text/calendar")
        for i, (body, codes) in enumerate(CALENDAR_BODIES.values())
    ]
    cases += [
        case("PUT", f"{HOSTILE_BOOK}{i}.vcf", *codes, body=body, Content_Type="text/vcard")
        for i, (body, codes) in enumerate(CARD_BODIES.values())
    ]
    started = time.monotonic()
    owner.sweep(cases)
    assert time.monotonic() - started < 30


def test_expanding_a_dense_series_over_ten_years_is_refused_fast(owner: AliceData) -> None:
    hourly = HEAD + _vevent("h", "RRULE:FREQ=HOURLY\r\n") + TAIL
    assert owner.http.put(CAL + "hourly.ics", content=hourly.encode()).status_code == 201
    report = (
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
        '<C:calendar-data><C:expand start="20260101T000000Z" end="20360101T000000Z"/>'
        '</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR">'
        '<C:comp-filter name="VEVENT"><C:time-range start="20260101T000000Z" '
        'end="20360101T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>'
    )
    freebusy = (
        '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
        '<C:time-range start="20260101T000000Z" end="20360101T000000Z"/></C:free-busy-query>'
    )
    for body in (report, freebusy):
        started = time.monotonic()
        answer = owner.http.request("REPORT", CAL, content=body, headers={"Depth": "1"})
        assert time.monotonic() - started < 10
        assert answer.status_code == 403, answer.text[:300]
        assert "number-of-matches-within-limits" in answer.text
    # A range of a week expands normally.
    week = report.replace("20360101T000000Z", "20260108T000000Z")
    answer = owner.http.request("REPORT", CAL, content=week, headers={"Depth": "1"})
    assert answer.status_code == 207 and answer.text.count("BEGIN:VEVENT") == 7 * 24


def test_bob_never_reaches_alices_collections(owner: AliceData) -> None:
    bob = httpx.Client(base_url=owner.base_url, auth=(BOB, TEST_PASSWORD), timeout=30)
    assert bob.put(BOB_CAL + "mine.ics", content=event("mine").encode()).status_code == 201
    bob.close()
    encoded = CAL.replace("alice@", "alice%40")
    shouted = CAL.replace(ALICE, ALICE.upper())
    multiget = (
        '<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"<D:prop><C:calendar-data/></D:prop><D:href>{CAL}a.ics</D:href>"
        f"<D:href>{encoded}a.ics</D:href><D:href>http://x{CAL}a.ics</D:href>"
        "</C:calendar-multiget>"
    )
    cases = []
    for path in (CAL, encoded, shouted, CAL.replace("alice", "%61lice"), BOOK):
        cases += [
            case("GET", path + "a.ics", 404, user=BOB),
            case("PROPFIND", path, 404, user=BOB, Depth="1"),
            case("PUT", path + "evil.ics", 403, 404, 409, body=event("evil"), user=BOB),
            case("DELETE", path + "a.ics", 403, 404, user=BOB),
            case("PROPPATCH", path, 404, body=b'<propertyupdate xmlns="DAV:"/>', user=BOB),
        ]
    for destination in (CAL + "x.ics", encoded + "x.ics", shouted + "x.ics"):
        cases.append(case("MOVE", BOB_CAL + "mine.ics", 403, Destination=destination, user=BOB))
    cases += [
        case("REPORT", BOB_CAL, 207, body=multiget, user=BOB, Depth="1"),
        case("MOVE", CAL + "a.ics", 404, Destination=BOB_CAL + "got.ics", user=BOB),
        case("GET", CAL + "a.ics", 401, user=ALICE.upper() + "x"),
    ]
    owner.sweep(cases)
    # The multiget answered bob with 404s only: none of alice's data went out.
    answer = httpx.request(
        "REPORT", owner.base_url + BOB_CAL, content=multiget, auth=(BOB, TEST_PASSWORD)
    )
    assert "Planning" not in answer.text and "BEGIN:VCALENDAR" not in answer.text
    assert owner.http.get(CAL + "x.ics").status_code == 404
