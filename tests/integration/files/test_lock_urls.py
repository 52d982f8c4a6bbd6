"""Locked resources are named by the URL the client reached them through (RFC 4918 sections
14.12 and 16), never by the internal ``/_s/<space id>/`` lock root."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from defusedxml import ElementTree
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.files.models import FileSpace
from app.settings import Settings
from tests.integration.files.test_webdav import LOCK_BODY, _basic, _team_space

LOCKDISCOVERY = (
    b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><lockdiscovery/></prop></propfind>'
)


def _error(response: httpx.Response) -> tuple[str, list[str]]:
    """The precondition of an error body and the hrefs it names."""
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{DAV:}error", response.text
    (condition,) = list(root)
    return condition.tag, [href.text or "" for href in condition.iter("{DAV:}href")]


def _lockroots(response: httpx.Response) -> list[str]:
    root = ElementTree.fromstring(response.content)
    return [href.text or "" for lockroot in root.iter("{DAV:}lockroot") for href in lockroot]


def _internal(response: httpx.Response) -> bool:
    """True when the internal lock root leaks into the body or a header."""
    texts = [response.text, *response.headers.values()]
    return any("/_s/" in text or "_s%2F" in text for text in texts)


def test_put_without_token_names_the_home_url(alice: httpx.Client) -> None:
    assert alice.put("/home/notes.txt", content=b"v1").status_code == 201
    lock = alice.request("LOCK", "/home/notes.txt", content=LOCK_BODY)
    assert lock.status_code == 200
    assert _lockroots(lock) == ["/webdav/home/notes.txt"]
    refused = alice.put("/home/notes.txt", content=b"v2")
    assert refused.status_code == 423
    assert _error(refused) == ("{DAV:}lock-token-submitted", ["/webdav/home/notes.txt"])
    found = alice.request(
        "PROPFIND", "/home/notes.txt", headers={"Depth": "0"}, content=LOCKDISCOVERY
    )
    assert found.status_code == 207
    assert _lockroots(found) == ["/webdav/home/notes.txt"]
    assert not _internal(lock) and not _internal(refused) and not _internal(found)


def test_team_lock_is_named_by_the_team_mount_for_every_member(
    files_settings: Settings, alice: httpx.Client, bob: httpx.Client
) -> None:
    _team_space(files_settings, "deals", {"alice@example.com": "write", "bob@example.com": "write"})
    assert alice.put("/team/deals/offer%20v1.txt", content=b"v1").status_code == 201
    lock = alice.request("LOCK", "/team/deals/offer%20v1.txt", content=LOCK_BODY)
    assert _lockroots(lock) == ["/webdav/team/deals/offer%20v1.txt"]
    url = "/webdav/team/deals/offer%20v1.txt"
    refused = bob.put("/team/deals/offer%20v1.txt", content=b"bob")
    assert refused.status_code == 423
    assert _error(refused) == ("{DAV:}lock-token-submitted", [url])
    conflict = bob.request("LOCK", "/team/deals/offer%20v1.txt", content=LOCK_BODY)
    assert conflict.status_code == 423
    assert _error(conflict) == ("{DAV:}no-conflicting-lock", [url])
    assert bob.put("/home/mine.txt", content=b"bob").status_code == 201
    onto = {"Destination": url, "Overwrite": "T"}
    across = bob.request("COPY", "/home/mine.txt", headers=onto)
    assert across.status_code == 423
    assert _error(across) == ("{DAV:}lock-token-submitted", [url])
    seen = bob.request("PROPFIND", "/team/deals/", headers={"Depth": "1"}, content=LOCKDISCOVERY)
    assert _lockroots(seen) == [url]
    for response in (lock, refused, conflict, across, seen):
        assert not _internal(response)


def test_depth_infinity_lock_names_the_folder(alice: httpx.Client) -> None:
    assert alice.request("MKCOL", "/home/project/").status_code == 201
    assert alice.put("/home/project/plan.txt", content=b"v1").status_code == 201
    lock = alice.request("LOCK", "/home/project/", content=LOCK_BODY, headers={"Depth": "infinity"})
    assert lock.status_code == 200
    assert _lockroots(lock) == ["/webdav/home/project/"]
    for path in ("/home/project/plan.txt", "/home/project/new.txt"):
        refused = alice.put(path, content=b"v2")
        assert refused.status_code == 423, path
        assert _error(refused) == ("{DAV:}lock-token-submitted", ["/webdav/home/project/"])
    found = alice.request(
        "PROPFIND", "/home/project/", headers={"Depth": "1"}, content=LOCKDISCOVERY
    )
    # The member is locked too; its DAV:lockroot names the folder (RFC 4918 section 14.12).
    assert _lockroots(found) == ["/webdav/home/project/"] * 2
    token = lock.headers["Lock-Token"]
    saved = alice.put("/home/project/plan.txt", content=b"v2", headers={"If": f"({token})"})
    assert saved.status_code == 204
    gone = alice.delete("/home/project/plan.txt", headers={"If": f"({token})"})
    assert gone.status_code == 204
    # Deleting a member leaves the folder's lock in place.
    assert alice.put("/home/project/new.txt", content=b"v3").status_code == 423


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("DELETE", "/home/box/", {}, b""),
        ("DELETE", "/home/box/held.txt", {}, b""),
        ("MOVE", "/home/box/", {"Destination": "/webdav/home/moved/"}, b""),
        ("MOVE", "/home/box/held.txt", {"Destination": "/webdav/home/x.txt"}, b""),
        ("MOVE", "/home/free.txt", {"Destination": "/webdav/home/box/held.txt"}, b""),
        ("COPY", "/home/free.txt", {"Destination": "/webdav/home/box/held.txt"}, b""),
        ("PROPPATCH", "/home/box/held.txt", {}, None),
        ("LOCK", "/home/box/", {"Depth": "infinity"}, LOCK_BODY),
        ("UNLOCK", "/home/box/held.txt", {"Lock-Token": "<opaquelocktoken:nope>"}, b""),
        ("PROPFIND", "/home/box/", {"Depth": "infinity"}, LOCKDISCOVERY),
    ],
)
def test_no_answer_about_a_locked_resource_shows_the_internal_root(
    alice: httpx.Client,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
) -> None:
    patch = (
        b'<?xml version="1.0"?><propertyupdate xmlns="DAV:" xmlns:z="urn:x"><set><prop>'
        b"<z:note>hi</z:note></prop></set></propertyupdate>"
    )
    assert alice.request("MKCOL", "/home/box/").status_code == 201
    assert alice.put("/home/box/held.txt", content=b"v1").status_code == 201
    assert alice.put("/home/free.txt", content=b"f").status_code == 201
    assert alice.request("LOCK", "/home/box/held.txt", content=LOCK_BODY).status_code == 200
    response = alice.request(method, path, headers=headers, content=patch if body is None else body)
    assert response.status_code >= 207, (method, response.status_code)
    assert not _internal(response), response.text
    if response.status_code == 423:
        assert _error(response)[1] == ["/webdav/home/box/held.txt"]


def test_fast_path_refusal_matches_wsgidav(
    server: str, files_settings: Settings, alice: httpx.Client, bob: httpx.Client
) -> None:
    """A lock taken while a fast-path PUT's body arrives gives wsgidav's own 423 answer."""
    _team_space(files_settings, "race", {"alice@example.com": "write", "bob@example.com": "write"})
    assert alice.put("/team/race/plan.txt", content=b"before").status_code == 201
    body = b"x" * 200_000
    parts = urlsplit(server)
    assert parts.hostname and parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            b"PUT /webdav/team/race/plan.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + _basic("alice@example.com")
            + b"Expect: 100-continue\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 ")
        sock.sendall(body[:100_000])
        lock = bob.request("LOCK", "/team/race/plan.txt", content=LOCK_BODY)
        assert lock.status_code == 200
        sock.sendall(body[100_000:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, fast_body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 423 "), answer
    slow = alice.put("/team/race/plan.txt", content=body)  # locked: wsgidav answers
    assert slow.status_code == 423
    assert fast_body == slow.content
    assert b"content-type: " + slow.headers["content-type"].encode() in head.lower()
    assert _error(slow) == ("{DAV:}lock-token-submitted", ["/webdav/team/race/plan.txt"])


def test_internal_lock_root_is_no_url_a_client_can_use(
    files_settings: Settings, alice: httpx.Client
) -> None:
    assert alice.put("/home/notes.txt", content=b"v1").status_code == 201
    engine = create_engine(files_settings.effective_database_url)
    with Session(engine) as db:
        space = db.scalars(select(FileSpace.id).where(FileSpace.slug == "alice@example.com")).one()
    engine.dispose()
    internal = f"/_s/{space}/notes.txt"
    assert alice.get(internal).status_code == 404
    assert alice.request("PROPFIND", internal, headers={"Depth": "0"}).status_code == 404
    copy = {"Destination": f"/webdav/_s/{space}/copy.txt"}
    assert alice.request("COPY", "/home/notes.txt", headers=copy).status_code == 409
    assert alice.get("/home/copy.txt").status_code == 404
