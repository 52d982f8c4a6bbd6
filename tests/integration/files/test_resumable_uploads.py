"""Resumable uploads over real HTTP: a connection dropped mid-chunk, then resumed from the
server's offset to a byte-identical file; nothing visible and the old body intact meanwhile."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from app.db import make_engine, make_session_factory, utcnow
from app.files import janitor
from app.files.models import UploadSession
from app.files.storage import store_for
from app.settings import Settings
from tests.integration.files.test_web_files import Browser


@pytest.fixture
def web(server: str) -> Iterator[Browser]:
    user = Browser(server, "alice@example.com")
    yield user
    user.http.close()


def start(web: Browser, name: str, size: int, **headers: str) -> dict[str, object]:
    made = web.http.post(
        "/files/uploads",
        params={"s": "home", "p": "", "name": name, "size": size},
        headers={"X-CSRF-Token": web.token, **headers},
    )
    assert made.status_code == 201, made.text
    body: dict[str, object] = made.json()
    return body


def send(web: Browser, upload_id: object, offset: int, data: bytes) -> dict[str, object]:
    sent = web.http.post(
        f"/files/uploads/{upload_id}",
        params={"offset": offset},
        content=data,
        headers={"X-CSRF-Token": web.token},
    )
    assert sent.status_code == 200, sent.text
    body: dict[str, object] = sent.json()
    return body


def drop_mid_chunk(server: str, web: Browser, upload_id: object, offset: int, data: bytes) -> None:
    """Announce a whole chunk, send only ``data`` of it, then cut the connection."""
    url = urlsplit(server)
    cookies = "; ".join(f"{name}={value}" for name, value in web.http.cookies.items())
    head = (
        f"POST /files/uploads/{upload_id}?offset={offset} HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\nCookie: {cookies}\r\nX-CSRF-Token: {web.token}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {len(data) * 4}\r\n\r\n"
    )
    with socket.create_connection((url.hostname or "", url.port or 80)) as sock:
        sock.sendall(head.encode() + data)
        time.sleep(1.0)  # let the server store what arrived before the line goes dead


def offset_after_drop(web: Browser, upload_id: object, before: int) -> int:
    """The offset the server reports once it has noticed the drop and saved what came."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = web.http.get(f"/files/uploads/{upload_id}")
        assert status.status_code == 200
        if status.json()["offset"] > before:
            return int(status.json()["offset"])
        time.sleep(0.2)
    raise AssertionError("the server never recorded the bytes that arrived")


def test_interrupted_upload_resumes_to_an_identical_file(server: str, web: Browser) -> None:
    old = b"the previous body of the report"
    assert web.upload("report.bin", old).status_code == 200
    body = os.urandom(700_000)
    upload_id = start(web, "report.bin", len(body))["id"]
    assert send(web, upload_id, 0, body[:200_000])["offset"] == 200_000

    drop_mid_chunk(server, web, upload_id, 200_000, body[200_000:400_000])
    offset = offset_after_drop(web, upload_id, 200_000)
    assert 200_000 < offset <= 400_000
    # Until completion, the file is the old one, whole.
    node = web.node_id("report.bin")
    assert web.http.get("/files/raw", params={"id": node}).content == old
    # A stale offset is refused with the server's own, so a confused client cannot corrupt it.
    stale = web.http.post(
        f"/files/uploads/{upload_id}",
        params={"offset": 100},
        content=b"x",
        headers={"X-CSRF-Token": web.token},
    )
    assert stale.status_code == 409 and stale.json()["offset"] == offset

    assert send(web, upload_id, offset, body[offset:])["offset"] == len(body)
    assert web.http.get("/files/raw", params={"id": node}).content == old
    done = web.http.post(
        f"/files/uploads/{upload_id}/complete",
        params={"s": "home"},
        headers={"X-CSRF-Token": web.token},
    )
    assert done.status_code == 200
    assert web.http.get("/files/raw", params={"id": node}).content == body
    preview = web.http.get("/files/preview", params={"id": node})
    assert "/files/version?" in preview.text  # the old body is kept as a version
    assert web.http.get(f"/files/uploads/{upload_id}").status_code == 404


def test_new_file_is_invisible_until_complete(web: Browser) -> None:
    body = b"a" * 5000 + b"b" * 5000
    upload_id = start(web, "new/inside/movie.mp4", len(body))["id"]
    send(web, upload_id, 0, body[:6000])
    listing = web.http.get("/files").text
    assert "movie.mp4" not in listing and ">new<" not in listing
    early = web.http.post(
        f"/files/uploads/{upload_id}/complete", headers={"X-CSRF-Token": web.token}
    )
    assert early.status_code == 400
    send(web, upload_id, 6000, body[6000:])
    done = web.http.post(
        f"/files/uploads/{upload_id}/complete", headers={"X-CSRF-Token": web.token}
    )
    assert done.status_code == 200
    node = web.node_id("movie.mp4", path="new/inside")
    assert web.http.get("/files/raw", params={"id": node}).content == body


def test_quota_checked_up_front_and_at_the_end(files_settings: Settings, web: Browser) -> None:
    from tests.integration.files.test_webdav import _set_quota

    web.upload("tiny.txt", b"1")
    _set_quota(files_settings, "alice@example.com", 10_000)
    refused = web.http.post(
        "/files/uploads",
        params={"name": "huge.bin", "size": 20_000},
        headers={"X-CSRF-Token": web.token},
    )
    assert refused.status_code == 507
    first = start(web, "one.bin", 6000)["id"]
    # Open sessions hold their room: a second one that would not fit with the first is refused.
    crowded = web.http.post(
        "/files/uploads",
        params={"name": "two.bin", "size": 6000},
        headers={"X-CSRF-Token": web.token},
    )
    assert crowded.status_code == 507
    send(web, first, 0, b"z" * 6000)
    assert web.upload("filler.bin", b"f" * 5000).status_code == 200  # room used meanwhile
    late = web.http.post(f"/files/uploads/{first}/complete", headers={"X-CSRF-Token": web.token})
    assert late.status_code == 507
    assert "one.bin" not in web.http.get("/files").text
    assert web.http.get(f"/files/uploads/{first}").status_code == 404  # dropped with its body


def test_sessions_are_private_and_need_csrf(server: str, web: Browser) -> None:
    upload_id = start(web, "mine.bin", 10)["id"]
    bob = Browser(server, "bob@example.com")
    assert bob.http.get(f"/files/uploads/{upload_id}").status_code == 404
    stolen = bob.http.post(
        f"/files/uploads/{upload_id}",
        params={"offset": 0},
        content=b"0123456789",
        headers={"X-CSRF-Token": bob.token},
    )
    assert stolen.status_code == 404
    no_token = web.http.post(f"/files/uploads/{upload_id}", params={"offset": 0}, content=b"0")
    assert no_token.status_code == 403
    too_much = web.http.post(
        f"/files/uploads/{upload_id}",
        params={"offset": 0},
        content=b"0123456789ABC",
        headers={"X-CSRF-Token": web.token},
    )
    assert too_much.status_code == 400
    assert web.http.get(f"/files/uploads/{upload_id}").json()["offset"] == 0


def test_abandoned_sessions_are_cleaned_up(files_settings: Settings, web: Browser) -> None:
    upload_id = str(start(web, "forgotten.bin", 100)["id"])
    send(web, upload_id, 0, b"q" * 40)
    store = store_for(files_settings)
    assert store.partial(upload_id).stat().st_size == 40
    engine = make_engine(files_settings)
    try:
        with make_session_factory(engine)() as db:
            db.execute(
                update(UploadSession)
                .where(UploadSession.id == upload_id)
                .values(updated_at=utcnow() - timedelta(hours=25))
            )
            db.commit()
            report = janitor.clean(db, settings=files_settings, store=store, now=utcnow())
    finally:
        engine.dispose()
    assert report.uploads == 1
    assert not store.partial(upload_id).exists()
    assert web.http.get(f"/files/uploads/{upload_id}").status_code == 404
