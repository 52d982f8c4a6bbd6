"""A file locked by someone else: every change answers 423 Locked (RFC 4918 sections 9.10,
11.3), nothing is saved; 409 stays for a conflicting save, which is kept as a version."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from app.settings import Settings
from tests.integration.files.test_web_files import Browser
from tests.integration.files.test_webdav import LOCK_BODY, _basic, _team_space


@pytest.fixture
def web(server: str) -> Iterator[Browser]:
    """Alice in the browser (signed in first: that puts her in her organization)."""
    user = Browser(server, "alice@example.com")
    yield user
    user.http.close()


@pytest.fixture
def locked_by_bob(server: str, web: Browser, alice: httpx.Client, bob: httpx.Client) -> str:
    """A team file that bob has locked; returns its lock token."""
    Browser(server, "bob@example.com").http.close()  # bob joins his organization too
    assert web.post("/files/spaces", name="Deals", slug="deals").status_code == 303
    web.post("/files/members", s="team/deals", email="bob@example.com", right="write")
    assert alice.put("/team/deals/offer.txt", content=b"v1").status_code == 201
    assert alice.put("/team/deals/other.txt", content=b"o").status_code == 201
    lock = bob.request("LOCK", "/team/deals/offer.txt", content=LOCK_BODY)
    assert lock.status_code == 200
    return lock.headers["Lock-Token"]


def test_webdav_changes_to_a_locked_file_answer_423(
    locked_by_bob: str, alice: httpx.Client
) -> None:
    moved = {"Destination": "/webdav/team/deals/moved.txt"}
    onto = {"Destination": "/webdav/team/deals/offer.txt", "Overwrite": "T"}
    assert alice.put("/team/deals/offer.txt", content=b"alice").status_code == 423
    assert alice.request("MOVE", "/team/deals/offer.txt", headers=moved).status_code == 423
    assert alice.request("MOVE", "/team/deals/other.txt", headers=onto).status_code == 423
    assert alice.request("COPY", "/team/deals/other.txt", headers=onto).status_code == 423
    assert alice.delete("/team/deals/offer.txt").status_code == 423
    assert alice.get("/team/deals/offer.txt").content == b"v1"


def test_web_changes_to_a_locked_file_answer_423_not_409(
    web: Browser, locked_by_bob: str, alice: httpx.Client
) -> None:
    space = "team/deals"
    node = web.node_id("offer.txt", space=space)
    assert web.upload("offer.txt", b"alice", space=space).status_code == 423
    renamed = web.post("/files/rename", s=space, id=node, name="renamed.txt")
    assert renamed.status_code == 423
    moved = web.post("/files/transfer", s=space, id=node, op="move", dest="/", dest_space="home")
    assert moved.status_code == 423
    assert web.post("/files/delete", s=space, id=node).status_code == 423
    assert alice.get("/team/deals/offer.txt").content == b"v1"
    # A stale save of an unlocked file is still 409: kept as a version, not lost.
    etag = web.upload("other.txt", b"o2", space=space).headers["etag"]
    web.upload("other.txt", b"o3", space=space)
    stale = web.upload("other.txt", b"from o2", space=space, **{"X-Base-ETag": etag})
    assert stale.status_code == 409


def test_lock_taken_while_the_body_arrives_refuses_the_put_with_423(
    server: str, files_settings: Settings, alice: httpx.Client, bob: httpx.Client
) -> None:
    _team_space(files_settings, "race", {"alice@example.com": "write", "bob@example.com": "write"})
    assert alice.put("/team/race/plan.txt", content=b"before").status_code == 201
    body = b"x" * 200_000
    parts = urlsplit(server)
    assert parts.hostname and parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            b"PUT /webdav/team/race/plan.txt HTTP/1.1\r\nHost: x\r\n"
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
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 423 "), answer
    assert alice.get("/team/race/plan.txt").content == b"before"
    assert list((files_settings.data_dir / "files" / "tmp").iterdir()) == []


def test_put_with_expect_100_continue_is_stored(server: str, alice: httpx.Client) -> None:
    """curl and most clients ask for 100 Continue before a large body."""
    parts = urlsplit(server)
    assert parts.hostname and parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            b"PUT /webdav/home/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + _basic("alice@example.com")
            + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 ")
        sock.sendall(b"hello")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 "), answer
    assert alice.get("/home/big.bin").content == b"hello"
