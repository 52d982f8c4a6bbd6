"""Hostile input on /webdav/ (wsgidav behind our guards): every case answers a clear 4xx with a
plain reason (never a 500, an exception repr or a traceback in the log), and afterwards alice's
files are exactly as before. Over SQLite and PostgreSQL: what a refused request leaves behind
(a lock, a property, a partial upload) lives in the database.
"""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.hostile import ALICE, BOB, Case, case, send, server_errors, sweep_leaves_unchanged
from tests.integration.files.conftest import dav_client
from tests.integration.files.test_webdav import _team_space
from tests.live import serve

FILE = "/webdav/home/docs/keep.txt"
CONTENT = b"alice's words"
PROPPATCH = (
    b'<?xml version="1.0"?><propertyupdate xmlns="DAV:"><set><prop>'
    b'<x:note xmlns:x="urn:x">n</x:note></prop></set></propertyupdate>'
)
LOCK = (
    b'<?xml version="1.0"?><lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope>'
    b"<locktype><write/></locktype></lockinfo>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
XXE = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


class AliceFiles:
    """Alice's folder and file on a live server, checked unchanged after a sweep."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = dav_client(base_url)
        assert self.http.request("MKCOL", "/home/docs/").status_code == 201
        assert self.http.put("/home/docs/keep.txt", content=CONTENT).status_code == 201

    def snapshot(self) -> dict[str, object]:
        listing = self.http.request("PROPFIND", "/home/", headers={"Depth": "1"})
        inner = self.http.request("PROPFIND", "/home/docs/", headers={"Depth": "1"})
        hrefs = sorted(listing.text.split("<D:href>")[1:] + inner.text.split("<D:href>")[1:])
        return {"file": self.http.get("/home/docs/keep.txt").content, "hrefs": hrefs}

    def sweep(self, cases: list[Case]) -> None:
        """Send the cases; fail on any wrong answer, any logged error or any change."""
        sweep_leaves_unchanged(self.base_url, cases, self.snapshot)


@pytest.fixture
def owner(files_settings: Settings) -> Iterator[AliceFiles]:
    with serve(files_settings) as base_url:
        files = AliceFiles(base_url)
        yield files
        files.http.close()


BAD_SEGMENTS = ["%zz", "%", "%c0%af", "%ff", "%00", "%0a", "%1b", "%7f", "%2e%2e", "..", "%2e"]
BAD_SEGMENTS += ["a%2fb", "a%5cb", "x#frag", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", ".", "a%2F..%2Fb"]


def test_bad_paths_answer_400(owner: AliceFiles) -> None:
    cases = [
        case(method, "/webdav/home/docs/" + segment, 400, body=body, Depth="0")
        for segment in BAD_SEGMENTS
        for method, body in (("GET", b""), ("PROPFIND", b""), ("PUT", b"x"), ("DELETE", b""))
    ]
    cases += [
        case("MKCOL", "/webdav/home/%ff/", 400),
        case("PROPPATCH", "/webdav/home/docs/%0a", 400, body=PROPPATCH),
        case("LOCK", "/webdav/home/docs/..", 400, body=LOCK),
        case("GET", "/webdav/home/docs/../../team/x", 400),
        # Harmless forms name the resource they say, never another one.
        case("GET", "/webdav/home//docs//keep.txt", 200),
        case("GET", FILE + "?v=../../x", 200),
        case("PROPFIND", "/webdav/home/docs/?x", 207, Depth="0"),
    ]
    owner.sweep(cases)


def test_unsupported_methods_answer_405_with_allow(owner: AliceFiles) -> None:
    methods = ("FOO", "TRACE", "PATCH", "POST", "REPORT", "ACL", "SEARCH", "MKCALENDAR", "BIND")
    cases = [case(method, FILE, 405) for method in methods]
    # wsgidav's own 405s name the allowed methods too
    cases += [case("PUT", "/webdav/home/docs/", 405, body=b"x"), case("MKCOL", FILE, 405)]
    owner.sweep(cases)


def test_bad_destinations_are_refused(owner: AliceFiles) -> None:
    host = owner.base_url.split("//", 1)[1]
    refusals = {
        "garbage": 400,
        "%zz": 400,
        "": 400,
        "http://": 400,
        "ftp://elsewhere/webdav/home/x.txt": 400,
        "../../etc/passwd": 400,
        "/webdav/home/x.txt#frag": 400,
        "/webdav/home/%ff.txt": 400,
        "/webdav/home/%0a.txt": 400,
        "/webdav/home/a%2fb.txt": 400,
        "/webdav/home/../../etc/passwd": 400,
        f"http://{host}/webdav/home/%2e%2e/x.txt": 400,
        "http://evil.example/webdav/home/x.txt": 403,
        f"http://evil.example:{host.split(':')[1]}/webdav/home/x.txt": 403,
        "/dav/calendars/alice@example.com/personal/x.ics": 403,
        "/etc/passwd": 403,
        "/webdav": 403,
        "/webdav/": 403,
        "/webdav/team/": 403,
    }
    cases = [
        case(method, FILE, status, Destination=destination)
        for destination, status in refusals.items()
        for method in ("COPY", "MOVE")
    ]
    # RFC 4918 9.8.5: a destination whose parent does not exist is a conflict
    cases.append(case("MOVE", FILE, 409, Destination="/webdav/team/nosuch/x.txt"))
    owner.sweep(cases)


def test_destination_through_a_proxy_host_is_accepted(owner: AliceFiles) -> None:
    copied = owner.http.request(
        "COPY",
        "/home/docs/keep.txt",
        headers={
            "Destination": "http://files.example.org/webdav/home/copy.txt",
            "X-Forwarded-Host": "files.example.org",
        },
    )
    assert copied.status_code == 201
    assert owner.http.get("/home/copy.txt").content == CONTENT


def test_the_top_folders_refuse_every_change(owner: AliceFiles) -> None:
    cases = []
    for path in ("/webdav/", "/webdav", "/webdav/team/", "/webdav/team"):
        cases += [
            case("PUT", path, 403, 405, 409, body=b"x"),
            case("DELETE", path, 403, 405),
            case("MKCOL", path, 403, 405),
            case("PROPPATCH", path, 403, body=PROPPATCH),
            case("LOCK", path, 403, body=LOCK),
            case("COPY", path, 403, Destination="/webdav/home/top/"),
            case("MOVE", path, 403, Destination="/webdav/home/top/"),
            case("UNLOCK", path, 400, 403, 409, Lock_Token="<urn:uuid:nope>"),
        ]
    owner.sweep(cases)
    assert owner.http.get("/home/top/").status_code == 404


def test_hostile_xml_bodies(owner: AliceFiles) -> None:
    propfind = b'<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
    cases = []
    for method, body in (("PROPFIND", propfind), ("PROPPATCH", PROPPATCH), ("LOCK", LOCK)):
        cases += [
            case(method, FILE, 400, body=LAUGHS + body, Depth="0"),
            case(method, FILE, 400, body=XXE + body, Depth="0"),
            case(method, FILE, 400, body=body[:-5], Depth="0"),
            case(method, FILE, 413, body=b"<a>" + b"x" * 1_100_000 + b"</a>", Depth="0"),
            case(method, FILE, 400, 422, body=b'<propfind xmlns="urn:x"/>', Depth="0"),
        ]
    cases += [
        case("PROPPATCH", FILE, 400),
        case("PROPFIND", FILE, 400, body=b"\xff\xfe<\x00a\x00", Depth="0"),
    ]
    owner.sweep(cases)
    # The entity was not expanded into a stored property either.
    found = owner.http.request("PROPFIND", "/home/docs/keep.txt", headers={"Depth": "0"})
    assert "root:" not in found.text and "aaaaaaaaaa" not in found.text


def test_hostile_headers(owner: AliceFiles) -> None:
    cases = [
        case("PROPFIND", "/webdav/home/", 400, Depth="99999999999999999999"),
        case("PROPFIND", "/webdav/home/", 400, Depth="-1"),
        case("PROPFIND", "/webdav/home/", 207, 400, 431, Depth="0", X_Big="a" * 70_000),
        case("PUT", FILE, 400, body=b"partial", Content_Range="bytes 0-6/100"),
        case("GET", FILE, 200, 206, 416, Range="bytes=abc"),
        case("GET", FILE, 200, 206, 416, Range="bytes=99999-"),
        case("GET", FILE, 200, 206, 416, Range="bytes=9-1"),
        case("GET", FILE, 200, 206, 416, Range="bytes=" + ",".join(["0-0"] * 2000)),
        case("PUT", FILE, 400, 412, body=b"evil", If="garbage"),
        case("PUT", FILE, 400, 412, body=b"evil", If="(<bogus"),
        case("DELETE", FILE, 400, 412, If="(<urn:uuid:nope>)"),
        case("LOCK", FILE, 400, 200, body=LOCK, Timeout="Second-abc"),
        case("PUT", FILE, 415, body=b"evil", Content_Encoding="gzip"),
        case("PROPFIND", "/webdav/home/", 401, user=None, Depth="0"),
        case("PUT", "/webdav/home/docs/%ff", 400, 401, user=None),
    ]
    # A lock taken with a bogus Timeout must be released so the check below sees no change.
    owner.sweep(cases[:11])
    lock = send(owner.base_url, cases[11])
    assert lock.status in (200, 400) and b"Traceback" not in lock.body
    if lock.status == 200:
        token = lock.headers["lock-token"]
        assert owner.http.request("UNLOCK", FILE[7:], headers={"Lock-Token": token}).is_success
    owner.sweep(cases[12:])


def test_odd_lock_copy_and_property_requests(owner: AliceFiles) -> None:
    remove_live = (
        b'<propertyupdate xmlns="DAV:"><remove><prop><getetag/><resourcetype/></prop></remove>'
        b"</propertyupdate>"
    )
    cases = [
        case("UNLOCK", FILE, 400, 409, Lock_Token="garbage"),
        case(
            "UNLOCK", FILE, 400, 409, Lock_Token="<urn:uuid:00000000-0000-0000-0000-000000000000>"
        ),
        case("LOCK", FILE, 400, 412, If="(<urn:uuid:nope>)"),  # a refresh of no lock
        case("LOCK", FILE, 400, body=LOCK, Depth="99"),
        case(
            "LOCK",
            FILE,
            400,
            body=b'<lockinfo xmlns="DAV:"><lockscope><weird/></lockscope>'
            b"<locktype><write/></locktype></lockinfo>",
        ),
        case("PROPPATCH", FILE, 207, 403, 409, body=remove_live),
        case(
            "PROPFIND",
            FILE,
            207,
            400,
            Depth="0",
            body=b'<propfind xmlns="DAV:"><propname/><allprop/><prop/></propfind>',
        ),
        case("COPY", FILE, 400, 412, Destination="/webdav/home/docs/c.txt", Overwrite="maybe"),
        case("COPY", FILE, 403, 204, Destination=FILE),
        case("MOVE", "/webdav/home/docs/", 403, 409, Destination="/webdav/home/docs/inner/"),
        case(
            "COPY", "/webdav/home/docs/", 400, 403, 409, Destination="/webdav/home/d2/", Depth="1"
        ),
        case("GET", FILE, 200, If_Modified_Since="garbage", If_None_Match="garbage"),
        case("GET", FILE, 200, 412, If_Unmodified_Since="Mon, 99 Foo 9999 99:99:99 GMT"),
        case("DELETE", "/webdav/home/docs/", 400, Depth="0"),
        case("MKCOL", "/webdav/home/new/", 415, body=b"<x/>", Content_Type="text/xml"),
    ]
    owner.sweep(cases)


def test_strangers_get_401_before_uploading_a_body(owner: AliceFiles) -> None:
    """``Expect: 100-continue`` with a huge body: the 401 comes without a ``100 Continue``."""
    host, port = owner.base_url.split("//", 1)[1].split(":")
    for method in ("PUT", "PROPFIND", "PROPPATCH", "LOCK"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                f"{method} /webdav/home/docs/big.bin HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Length: 500000000\r\nExpect: 100-continue\r\n\r\n".encode()
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 401"), method


def test_client_disconnecting_mid_body_changes_nothing(owner: AliceFiles) -> None:
    host, port = owner.base_url.split("//", 1)[1].split(":")
    token = base64.b64encode(f"{ALICE}:{TEST_PASSWORD}".encode()).decode()
    with server_errors() as errors:
        for method, path in [("PUT", FILE), ("PUT", FILE + ".new"), ("PROPPATCH", FILE)] * 3:
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(
                    f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {token}\r\n"
                    "If-Match: *\r\nContent-Length: 100000\r\n\r\n<?xml".encode()
                )
            time.sleep(0.2)
    assert not errors, errors
    assert owner.http.get("/home/docs/keep.txt").content == CONTENT
    new = owner.http.get("/home/docs/keep.txt.new")
    assert new.status_code == 404, (new.content, new.headers)


def test_bob_never_reaches_alices_files(files_settings: Settings, owner: AliceFiles) -> None:
    _team_space(files_settings, "design", {ALICE: "manage"})
    team = "/webdav/team/design/"
    assert owner.http.put("/team/design/plan.txt", content=b"plan").status_code == 201
    cases = []
    for path in (team, "/webdav/team/%64esign/", "/webdav/team/DESIGN/", "/webdav/team/design%2f"):
        cases += [
            case("GET", path + "plan.txt", 400, 404, user=BOB),
            case("PROPFIND", path, 400, 404, user=BOB, Depth="1"),
            case("PUT", path + "evil.txt", 400, 403, 404, 409, body=b"x", user=BOB),
            case("DELETE", path + "plan.txt", 400, 404, user=BOB),
            case("COPY", path + "plan.txt", 400, 404, user=BOB, Destination="/webdav/home/x"),
        ]
    cases += [
        case("MOVE", "/webdav/home/", 403, 404, 409, user=BOB, Destination=team + "bobs/"),
        case("GET", FILE, 404, user=BOB),  # bob's own home has no such file
        case("GET", FILE, 401, user=ALICE.upper() + ".evil"),
    ]
    bob = dav_client(owner.base_url, BOB)
    assert bob.put("/home/mine.txt", content=b"bob").status_code == 201
    cases += [
        case("COPY", "/webdav/home/mine.txt", 404, 409, 403, user=BOB, Destination=team + "b.txt"),
        case("MOVE", "/webdav/home/mine.txt", 404, 409, 403, user=BOB, Destination=team + "b.txt"),
    ]
    owner.sweep(cases)
    assert owner.http.get("/team/design/plan.txt").content == b"plan"
    assert owner.http.get("/team/design/b.txt").status_code == 404
    assert bob.get("/home/mine.txt").content == b"bob"
    bob.close()
    with httpx.Client(base_url=owner.base_url) as shouting:
        answer = shouting.get("/webdav/home/mine.txt", auth=(BOB.upper(), TEST_PASSWORD))
        assert answer.status_code == 200 and answer.content == b"bob"
