"""WebDAV over real HTTP: methods, cross-user isolation, path tricks, quota, locks, versions."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from app.files.models import FileSpace, FileVersion
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.integration.files.conftest import dav_client
from tests.live import serve

PROPFIND_ALL = b'<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>'
LOCK_BODY = (
    b'<?xml version="1.0"?><lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope>'
    b"<locktype><write/></locktype><owner>alice's editor</owner></lockinfo>"
)


def test_put_get_folder_roundtrip(alice: httpx.Client) -> None:
    assert alice.request("MKCOL", "/home/docs/").status_code == 201
    assert alice.put("/home/docs/a.txt", content=b"hello").status_code == 201
    response = alice.get("/home/docs/a.txt")
    assert response.status_code == 200
    assert response.content == b"hello"
    listing = alice.request("PROPFIND", "/home/docs/", headers={"Depth": "1"})
    assert listing.status_code == 207
    assert "/webdav/home/docs/a.txt" in listing.text


def test_no_credentials_or_wrong_password_or_session_cookie_get_401(
    server: str, alice: httpx.Client
) -> None:
    alice.put("/home/secret.txt", content=b"x")
    with httpx.Client(base_url=server) as anonymous:
        assert anonymous.get("/webdav/home/secret.txt").status_code == 401
        wrong = anonymous.get("/webdav/home/secret.txt", auth=("alice@example.com", "nope"))
        assert wrong.status_code == 401
        # A web session cookie is never accepted on /webdav/.
        anonymous.cookies.set("hamkar_session", "anything")
        assert anonymous.get("/webdav/home/secret.txt").status_code == 401


def test_other_users_home_is_their_own(alice: httpx.Client, bob: httpx.Client) -> None:
    alice.put("/home/mine.txt", content=b"alice's")
    assert bob.get("/home/mine.txt").status_code == 404
    bob.put("/home/mine.txt", content=b"bob's")
    assert alice.get("/home/mine.txt").content == b"alice's"
    assert bob.get("/home/mine.txt").content == b"bob's"


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("GET", {}),
        ("PUT", {"content": b"x"}),
        ("DELETE", {}),
        ("PROPFIND", {"headers": {"Depth": "0"}}),
        ("PROPPATCH", {"content": b"<x/>"}),
        ("MKCOL", {}),
        ("LOCK", {"content": LOCK_BODY}),
        ("COPY", {"headers": {"Destination": "/webdav/home/stolen.txt"}}),
        ("MOVE", {"headers": {"Destination": "/webdav/home/stolen.txt"}}),
    ],
)
def test_team_space_of_others_is_invisible_to_every_method(
    files_settings: Settings, alice: httpx.Client, bob: httpx.Client, method: str, extra: dict
) -> None:
    _team_space(files_settings, "design", {"alice@example.com": "manage"})
    assert alice.put("/team/design/plan.txt", content=b"plan").status_code == 201
    response = bob.request(method, "/team/design/plan.txt", **extra)
    assert response.status_code in (404, 409), (method, response.status_code)
    assert alice.get("/team/design/plan.txt").content == b"plan"
    assert bob.get("/home/stolen.txt").status_code == 404


def test_copy_into_someone_elses_space_is_refused(
    files_settings: Settings, alice: httpx.Client, bob: httpx.Client
) -> None:
    _team_space(files_settings, "legal", {"alice@example.com": "manage"})
    bob.put("/home/note.txt", content=b"bob")
    response = bob.request(
        "COPY", "/home/note.txt", headers={"Destination": "/webdav/team/legal/note.txt"}
    )
    assert response.status_code in (403, 404, 409)
    assert alice.get("/team/legal/note.txt").status_code == 404


def test_read_only_member_cannot_write(
    files_settings: Settings, alice: httpx.Client, bob: httpx.Client
) -> None:
    _team_space(files_settings, "sales", {"alice@example.com": "manage", "bob@example.com": "read"})
    alice.put("/team/sales/prices.txt", content=b"1")
    assert bob.get("/team/sales/prices.txt").content == b"1"
    assert bob.put("/team/sales/prices.txt", content=b"2").status_code == 403
    assert bob.delete("/team/sales/prices.txt").status_code == 403
    assert bob.request("MKCOL", "/team/sales/new/").status_code == 403
    assert alice.get("/team/sales/prices.txt").content == b"1"


def test_move_and_copy_across_spaces_carry_content_and_quota(
    files_settings: Settings, alice: httpx.Client
) -> None:
    _team_space(files_settings, "ops", {"alice@example.com": "write"})
    alice.put("/home/report.pdf", content=b"%PDF-1.4 report")
    moved = alice.request(
        "MOVE", "/home/report.pdf", headers={"Destination": "/webdav/team/ops/report.pdf"}
    )
    assert moved.status_code == 201
    assert alice.get("/home/report.pdf").status_code == 404
    assert alice.get("/team/ops/report.pdf").content == b"%PDF-1.4 report"
    copied = alice.request(
        "COPY", "/team/ops/report.pdf", headers={"Destination": "/webdav/home/copy.pdf"}
    )
    assert copied.status_code == 201
    assert alice.get("/home/copy.pdf").content == b"%PDF-1.4 report"
    with Session(create_engine(files_settings.effective_database_url)) as db:
        used = dict(db.execute(select(FileSpace.slug, FileSpace.used_bytes)).all())
    assert used["ops"] == len(b"%PDF-1.4 report")


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/webdav/home/../team/",
        b"/webdav/home/%2e%2e/%2e%2e/etc/passwd",
        b"/webdav/home/..%2f..%2fetc%2fpasswd",
        b"/webdav/home/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
        b"/webdav/home/%00secret",
        b"/webdav/_s/1/",
    ],
)
def test_path_tricks_never_leave_the_space(
    server: str, bob: httpx.Client, alice: httpx.Client, raw_path: bytes
) -> None:
    alice.put("/home/private.txt", content=b"alice only")
    status, body = _raw_request(server, b"GET", raw_path, "bob@example.com")
    assert status in (400, 403, 404), (raw_path, status)
    assert b"alice only" not in body and b"root:" not in body


def test_put_with_traversal_in_destination_stays_inside(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    alice.put("/home/mine.txt", content=b"alice")
    response = bob.request("MOVE", "/home/x", headers={"Destination": "/webdav/home/../../home/x"})
    assert response.status_code in (400, 403, 404, 409)
    assert alice.get("/home/mine.txt").content == b"alice"


def test_quota_refuses_upload_with_507_and_keeps_nothing(
    files_settings: Settings, alice: httpx.Client
) -> None:
    alice.put("/home/small.txt", content=b"12345")
    _set_quota(files_settings, "alice@example.com", 100)
    response = alice.put("/home/big.bin", content=b"x" * 500)
    assert response.status_code == 507
    assert alice.get("/home/big.bin").status_code == 404
    # Streaming without a declared length is refused too, once the body passes the quota.
    chunked = alice.put("/home/big2.bin", content=iter([b"y" * 60, b"y" * 60]))
    assert chunked.status_code == 507
    assert alice.get("/home/big2.bin").status_code == 404
    store = files_settings.data_dir / "files" / "tmp"
    assert list(store.iterdir()) == []


def test_overwrite_keeps_previous_version(files_settings: Settings, alice: httpx.Client) -> None:
    alice.put("/home/doc.txt", content=b"first")
    alice.put("/home/doc.txt", content=b"second")
    assert alice.get("/home/doc.txt").content == b"second"
    with Session(create_engine(files_settings.effective_database_url)) as db:
        kept = db.scalars(select(FileVersion.size)).all()
    assert kept == [len(b"first")]


def test_interrupted_upload_leaves_previous_version(server: str, alice: httpx.Client) -> None:
    alice.put("/home/keep.txt", content=b"safe content")
    host, port = urlsplit(server).hostname, urlsplit(server).port
    assert host and port
    with socket.create_connection((host, port)) as sock:
        sock.sendall(
            b"PUT /webdav/home/keep.txt HTTP/1.1\r\nHost: x\r\n"
            + _basic("alice@example.com")
            + b"Content-Length: 1000000\r\n\r\n"
            + b"partial" * 100
        )
    response = alice.get("/home/keep.txt")
    assert response.content == b"safe content"


def test_lock_taken_through_one_process_holds_in_another(
    files_settings: Settings, alice: httpx.Client, bob: httpx.Client
) -> None:
    _team_space(
        files_settings,
        "shared",
        {"alice@example.com": "write", "bob@example.com": "write"},
    )
    alice.put("/team/shared/budget.ods", content=b"v1")
    lock = alice.request(
        "LOCK", "/team/shared/budget.ods", content=LOCK_BODY, headers={"Timeout": "Second-600"}
    )
    assert lock.status_code == 200
    token = lock.headers["Lock-Token"]
    with serve(files_settings) as second, dav_client(second, "bob@example.com") as bob2:
        refused = bob2.put("/team/shared/budget.ods", content=b"bob's edit")
        assert refused.status_code == 423
        props = bob2.request("PROPFIND", "/team/shared/budget.ods", headers={"Depth": "0"})
        assert "alice's editor" in props.text
        assert bob2.delete("/team/shared/budget.ods").status_code == 423
    saved = alice.put("/team/shared/budget.ods", content=b"v2", headers={"If": f"({token})"})
    assert saved.status_code == 204
    assert alice.request("UNLOCK", "/team/shared/budget.ods", headers={"Lock-Token": token})
    assert bob.put("/team/shared/budget.ods", content=b"bob's edit").status_code == 204
    assert bob.get("/team/shared/budget.ods").content == b"bob's edit"


def test_range_get(alice: httpx.Client) -> None:
    alice.put("/home/digits.txt", content=b"0123456789")
    response = alice.get("/home/digits.txt", headers={"Range": "bytes=2-5"})
    assert response.status_code == 206
    assert response.content == b"2345"


def _team_space(settings: Settings, slug: str, members: dict[str, str]) -> None:
    """A team space with these members, each with the directory account their first sign-in
    makes (team spaces belong to an organization)."""
    from app.directory import service as directory
    from app.files import spaces

    engine = create_engine(settings.effective_database_url)
    with Session(engine) as db, db.begin():
        for email in members:
            directory.account_for_login(db, email=email)
        creator = next(iter(members))
        space = spaces.create_team_space(
            db, settings=settings, creator=creator, slug=slug, name=slug.title()
        )
        access = spaces.Access(space, "manage", f"team/{slug}")
        for email, right in members.items():
            spaces.set_member(db, access=access, email=email, right=right)
    engine.dispose()


def _set_quota(settings: Settings, email: str, quota: int) -> None:
    engine = create_engine(settings.effective_database_url)
    with Session(engine) as db, db.begin():
        db.execute(update(FileSpace).where(FileSpace.slug == email).values(quota_bytes=quota))
    engine.dispose()


def _basic(email: str) -> bytes:
    import base64

    from tests.conftest import TEST_PASSWORD

    token = base64.b64encode(f"{email}:{TEST_PASSWORD}".encode())
    return b"Authorization: Basic " + token + b"\r\n"


def _raw_request(server: str, method: bytes, raw_path: bytes, email: str) -> tuple[int, bytes]:
    """Send a path exactly as given (no client-side normalization)."""
    parts = urlsplit(server)
    assert parts.hostname and parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            method
            + b" "
            + raw_path
            + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + _basic(email)
            + b"\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


def _propmap(xml: str) -> dict[str, dict[str, str]]:
    from defusedxml import ElementTree

    found: dict[str, dict[str, str]] = {}
    for response in ElementTree.fromstring(xml.encode()).iter("{DAV:}response"):
        href = response.findtext("{DAV:}href") or ""
        props = {}
        for propstat in response.iter("{DAV:}propstat"):
            status = (propstat.findtext("{DAV:}status") or "").split(" ")[1]
            for prop in propstat.find("{DAV:}prop") or []:
                text = "".join(prop.itertext()) + "|" + ",".join(c.tag for c in prop.iter())
                props[prop.tag] = f"{status}:{text}"
        found[href] = props
    return found


@pytest.mark.parametrize(
    "body",
    [
        b"",
        PROPFIND_ALL,
        b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/><getcontentlength/>'
        b"<resourcetype/><getcontenttype/><displayname/></prop></propfind>",
    ],
)
def test_fast_listing_matches_wsgidav(alice: httpx.Client, body: bytes) -> None:
    alice.request("MKCOL", "/home/same/")
    alice.request("MKCOL", "/home/same/sub dir/")
    alice.put("/home/same/ä b&c.txt", content=b"12345", headers={"Content-Type": "text/plain"})
    fast = alice.request("PROPFIND", "/home/same/", headers={"Depth": "1"}, content=body)
    # A dead property on the folder sends the same request through wsgidav's own PROPFIND.
    patch = (
        b'<?xml version="1.0"?><propertyupdate xmlns="DAV:" xmlns:z="urn:x"><set><prop>'
        b"<z:note>hi</z:note></prop></set></propertyupdate>"
    )
    assert alice.request("PROPPATCH", "/home/same/", content=patch).status_code == 207
    slow = alice.request("PROPFIND", "/home/same/", headers={"Depth": "1"}, content=body)
    assert fast.status_code == slow.status_code == 207
    fast_map, slow_map = _propmap(fast.text), _propmap(slow.text)
    for props in slow_map.values():
        props.pop("{urn:x}note", None)
    assert fast_map == slow_map
    assert "/webdav/home/same/%C3%A4%20b%26c.txt" in fast_map


@pytest.mark.parametrize("depth", [{"Depth": "infinity"}, {"Depth": "Infinity"}, {}])
def test_propfind_depth_infinity_is_refused_with_the_precondition(
    alice: httpx.Client, depth: dict[str, str]
) -> None:
    assert alice.request("MKCOL", "/home/deep/").status_code == 201
    refused = alice.request("PROPFIND", "/home/", headers=depth)
    assert refused.status_code == 403
    assert "propfind-finite-depth" in refused.text
    assert alice.request("PROPFIND", "/home/", headers={"Depth": "1"}).status_code == 207


def test_the_mount_typed_without_its_slash_is_the_mount(server: str) -> None:
    """A file manager given https://host/webdav lists the spaces there (no CSRF refusal)."""
    with httpx.Client(auth=("alice@example.com", TEST_PASSWORD)) as client:
        listing = client.request("PROPFIND", server + "/webdav", headers={"Depth": "1"})
        assert listing.status_code == 207, listing.text
        assert "/webdav/home/" in listing.text
        assert client.request("OPTIONS", server + "/webdav").headers["dav"].startswith("1")
    stranger = httpx.request("PROPFIND", server + "/webdav", headers={"Depth": "1"})
    assert stranger.status_code == 401
