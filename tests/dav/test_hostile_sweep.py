"""Hostile input on /dav/: every case answers a clear 4xx (never a 500 or a traceback in the log),
and afterwards alice's calendar and address book are exactly as before.

One live server per test (real h11, so a ``#fragment`` and raw bytes reach the app), over SQLite
and PostgreSQL.
"""

from __future__ import annotations

import base64
import socket
import time

from tests.conftest import TEST_PASSWORD
from tests.dav.conftest import BOOK, CAL, AliceData
from tests.dav.samples import event
from tests.hostile import ALICE, BOB, case, send, server_errors

BOB_CAL = f"/dav/calendars/{BOB}/personal/"
MANY_HEADERS = {f"X_{n}": "b" * 500 for n in range(200)}
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<propfind xmlns="DAV:"><prop><displayname>&c;</displayname></prop></propfind>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<propfind xmlns="DAV:"><prop><displayname>&e;</displayname></prop></propfind>'
)
HUGE_XML = b'<propfind xmlns="DAV:"><prop>' + b"<x/>" * 300_000 + b"</prop></propfind>"
QUERY = b'<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"/>'


BAD_SEGMENTS = ["%zz", "%", "%c0%af", "%ff", "%00", "%0a", "%1b", "%7f", "%2e%2e", "..", "%2e"]
BAD_SEGMENTS += ["a%2fb", "a%5cb", "x.ics#frag", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"]


def test_bad_paths_answer_400(owner: AliceData) -> None:
    cases = [
        case(method, CAL + segment, 400, body="x" if method == "PUT" else "", Depth="0")
        for segment in BAD_SEGMENTS
        for method in ("GET", "PROPFIND", "PUT", "DELETE")
    ]
    cases += [
        case("PROPFIND", f"/dav/calendars/{ALICE}/personal/../../{BOB}/personal/", 400, Depth="0"),
        case("GET", f"/dav/calendars/{BOB}%2fpersonal/a.ics", 400),
        # Harmless forms resolve to the resource they name, never to another one.
        case("PROPFIND", f"/dav//calendars//{ALICE}//personal//", 207, Depth="0"),
        case("PROPFIND", CAL + "?x=../../", 207, Depth="0"),
        case("PROPFIND", CAL.replace("@", "%40"), 207, Depth="0"),
        case("GET", CAL + "a.ics?download=1", 200),
    ]
    owner.sweep(cases)


def test_unsupported_methods_answer_405_with_allow(owner: AliceData) -> None:
    methods = ("FOO", "TRACE", "PATCH", "ACL", "BIND", "SEARCH", "LOCK", "COPY")
    owner.sweep([case(method, CAL, 405) for method in methods])


def test_bad_destinations_are_refused(owner: AliceData) -> None:
    host = owner.base_url.split("//", 1)[1]
    refusals = {
        "garbage": 400,
        "%zz": 400,
        "": 400,
        "http://": 400,
        "ftp://elsewhere/x.ics": 400,
        "../../etc/passwd": 400,
        CAL + "b.ics#frag": 400,
        CAL + "b.ics?x=1": 400,
        CAL + "%ff.ics": 400,
        CAL + "%0a.ics": 400,
        f"http://{host}{CAL}..%2f..%2fb.ics": 400,
        f"http://evil.example{CAL}b.ics": 403,
        f"https://evil.example:{host.split(':')[1]}{CAL}b.ics": 403,
        "/webdav/home/b.ics": 403,
        "/etc/passwd": 403,
        f"{BOB_CAL}stolen.ics": 403,
        f"/dav/calendars/{BOB.upper()}/personal/stolen.ics": 403,
    }
    owner.sweep(
        [case("MOVE", CAL + "a.ics", status, Destination=d) for d, status in refusals.items()],
    )


def test_destination_through_a_proxy_host_is_accepted(owner: AliceData) -> None:
    moved = owner.http.request(
        "MOVE",
        CAL + "a.ics",
        headers={
            "Destination": f"https://dav.example.org{CAL}b.ics",
            "X-Forwarded-Host": "dav.example.org",
        },
    )
    assert moved.status_code == 201
    assert owner.http.get(CAL + "b.ics").text == event("a")


def test_hostile_xml_bodies(owner: AliceData) -> None:
    cases = []
    for method in ("PROPFIND", "PROPPATCH", "REPORT"):
        cases += [
            case(method, CAL, 400, body=LAUGHS, Depth="0"),
            case(method, CAL, 400, body=XXE, Depth="0"),
            case(method, CAL, 400, body=b"<propfind xmlns='DAV:'><prop>", Depth="0"),
            case(method, CAL, 400, body=b"\xff\xfe<\x00a\x00", Depth="0"),
            case(method, CAL, 413, body=HUGE_XML, Depth="0"),
            case(method, CAL, 413, body=b"<a>" + b"x" * 2_100_000 + b"</a>", Depth="0"),
            case(method, CAL, 400, 403, body=b'<propfind xmlns="urn:x"/>', Depth="0"),
        ]
    cases += [
        case("PROPPATCH", CAL, 400),
        case("REPORT", CAL, 400, Depth="1"),
        case("MKCALENDAR", f"/dav/calendars/{ALICE}/new/", 400, body=LAUGHS),
        case("POST", f"/dav/principals/{ALICE}/outbox/", 400, 403, 415, body=XXE),
    ]
    owner.sweep(cases)


def _report(root: str, inner: str, ns: str = "urn:ietf:params:xml:ns:caldav") -> bytes:
    return f'<r:{root} xmlns:d="DAV:" xmlns:r="{ns}">{inner}</r:{root}>'.encode()


CARD_NS = "urn:ietf:params:xml:ns:carddav"
BOGUS_REPORTS = {
    "sync token": b'<d:sync-collection xmlns:d="DAV:"><d:sync-token>garbage</d:sync-token>'
    b"<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>",
    "sync level": b'<d:sync-collection xmlns:d="DAV:"><d:sync-token/>'
    b"<d:sync-level>infinite</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>",
    "many hrefs": _report(
        "calendar-multiget",
        "<d:prop><d:getetag/></d:prop>" + f"<d:href>{CAL}x.ics</d:href>" * 10_000,
    ),
    "bad hrefs": _report(
        "calendar-multiget",
        "<d:prop><d:getetag/></d:prop><d:href>%ff</d:href><d:href>http://[</d:href>"
        "<d:href>/dav/../../etc/passwd</d:href><d:href></d:href>",
    ),
    "bad range": _report(
        "calendar-query",
        '<r:filter><r:comp-filter name="VCALENDAR"><r:comp-filter name="VEVENT">'
        '<r:time-range start="garbage" end="20260101"/></r:comp-filter></r:comp-filter></r:filter>',
    ),
    "reversed range": _report(
        "calendar-query",
        '<r:filter><r:comp-filter name="VCALENDAR"><r:comp-filter name="VEVENT">'
        '<r:time-range start="20300101T000000Z" end="20200101T000000Z"/>'
        "</r:comp-filter></r:comp-filter></r:filter>",
    ),
    "deep filters": _report(
        "calendar-query",
        "<r:filter>"
        + '<r:comp-filter name="VCALENDAR">' * 60
        + "</r:comp-filter>" * 60
        + "</r:filter>",
    ),
    "no filter": _report("calendar-query", "<d:prop><d:getetag/></d:prop>"),
    "huge text-match": _report(
        "calendar-query",
        '<r:filter><r:comp-filter name="VCALENDAR"><r:comp-filter name="VEVENT">'
        '<r:prop-filter name="SUMMARY"><r:text-match collation="i;bogus">'
        + "x" * 500_000
        + "</r:text-match></r:prop-filter></r:comp-filter></r:comp-filter></r:filter>",
    ),
}
BOGUS_BOOK_REPORTS = {
    "limit": _report(
        "addressbook-query",
        "<r:filter/><r:limit><r:nresults>-5</r:nresults></r:limit>",
        CARD_NS,
    ),
    "huge limit": _report(
        "addressbook-query",
        "<r:filter/><r:limit><r:nresults>99999999999999999999999</r:nresults></r:limit>",
        CARD_NS,
    ),
    "bad test": _report("addressbook-query", '<r:filter test="maybe"/>', CARD_NS),
}


def test_bogus_reports(owner: AliceData) -> None:
    cases = [
        case("REPORT", CAL, 207, 400, 403, 415, body=body, Depth="1")
        for body in BOGUS_REPORTS.values()
    ]
    cases += [
        case("REPORT", BOOK, 207, 400, 403, 507, body=body, Depth="1")
        for body in BOGUS_BOOK_REPORTS.values()
    ]
    owner.sweep(cases)


def test_hostile_headers(owner: AliceData) -> None:
    cases = [
        case("PROPFIND", CAL, 403, Depth="infinity"),
        case("PROPFIND", CAL, 400, Depth="99999999999999999999"),
        case("PROPFIND", CAL, 400, Depth="-1"),
        case("PROPFIND", CAL, 400, Depth="1, 0"),
        case("PROPFIND", CAL, 207, 400, 431, Depth="0", X_Big="a" * 70_000),
        case("PROPFIND", CAL, 207, 400, 431, Depth="0", **MANY_HEADERS),
        case("PUT", CAL + "r.ics", 400, body=event("r"), Content_Range="bytes 0-10/100"),
        case("GET", CAL + "a.ics", 200, 206, 416, Range="bytes=abc"),
        case("GET", CAL + "a.ics", 200, 206, 416, Range="bytes=99999-1"),
        case("PUT", CAL + "a.ics", 412, body=event("a", summary="x"), If_Match='"bogus"'),
        case("DELETE", CAL + "a.ics", 412, If_Match="garbage"),
        case("PUT", CAL + "c.ics", 400, 411, 415, body=event("c"), Content_Length="-5"),
        case("PROPFIND", CAL, 401, user=None, Depth="infinity"),
        case("PUT", CAL + "%ff", 401, user=None),
    ]
    owner.sweep(cases)
    proof = send(owner.base_url, case("PROPFIND", CAL, 403, Depth="infinity"))
    assert b"propfind-finite-depth" in proof.body


def test_strangers_get_401_before_uploading_a_body(owner: AliceData) -> None:
    """``Expect: 100-continue`` with a huge body: the 401 comes without a ``100 Continue``."""
    for method, path in (("PUT", CAL + "big.ics"), ("PROPFIND", CAL), ("REPORT", CAL)):
        answer = _expecting(owner.base_url, method, path, authorized=False)
        assert answer.startswith(b"HTTP/1.1 401"), (method, answer[:80])
    answer = _expecting(owner.base_url, "OPTIONS", CAL, authorized=True)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:80]


def _basic() -> str:
    return "Basic " + base64.b64encode(f"{ALICE}:{TEST_PASSWORD}".encode()).decode()


def _expecting(base_url: str, method: str, path: str, *, authorized: bool) -> bytes:
    host, port = base_url.split("//", 1)[1].split(":")
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 500000000\r\n"
    head += "Expect: 100-continue\r\n"
    if authorized:
        head += f"Authorization: {_basic()}\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n")
        return sock.recv(4096)


def test_client_disconnecting_mid_body_changes_nothing(owner: AliceData) -> None:
    host, port = owner.base_url.split("//", 1)[1].split(":")
    with server_errors() as errors:
        for _ in range(3):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(
                    f"PUT {CAL}a.ics HTTP/1.1\r\nHost: {host}\r\nAuthorization: {_basic()}\r\n"
                    "Content-Length: 100000\r\n\r\nBEGIN:VCALENDAR\r\n".encode()
                )
            time.sleep(0.3)
    assert not errors, errors
    assert owner.http.get(CAL + "a.ics").text == event("a")
