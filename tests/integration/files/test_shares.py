"""Share links over real HTTP: read-only and upload-only, expiry, password, revoke, reach."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session

from app.files.models import ShareLink
from app.settings import Settings
from tests.integration.files.test_web_files import Browser
from tests.integration.files.test_webdav import _team_space

_URL = re.compile(r'value="(http://[^"]+/s/[^"]+)"')


@pytest.fixture
def web(server: str) -> Iterator[Browser]:
    user = Browser(server, "alice@example.com")
    yield user
    user.http.close()


def _make_link(web: Browser, node: int, space: str = "home", **form: str) -> str:
    made = web.post("/files/share", s=space, id=node, mode=form.pop("mode", "read"), **form)
    assert made.status_code == 200, made.text
    found = _URL.search(made.text)
    assert found, made.text
    return found.group(1)


def _anonymous(server: str) -> httpx.Client:
    return httpx.Client(base_url=server, timeout=30, follow_redirects=False)


def test_read_link_to_a_file_downloads_and_counts(server: str, web: Browser) -> None:
    web.upload("menu.pdf", b"%PDF-1.4 lunch")
    link = _make_link(web, web.node_id("menu.pdf"))
    path = link.split(server, 1)[1]
    with _anonymous(server) as guest:
        assert guest.get(path).status_code == 200
        for _ in range(2):
            assert guest.get(path + "/download").content == b"%PDF-1.4 lunch"
    share_page = web.http.get("/files/share", params={"id": web.node_id("menu.pdf")})
    assert re.search(r'class="files-downloads">2<', share_page.text)


def test_folder_link_stays_inside_the_folder(server: str, web: Browser) -> None:
    web.upload("public/readme.txt", b"public text")
    web.upload("private.txt", b"not for you")
    path = _make_link(web, web.node_id("public")).split(server, 1)[1]
    with _anonymous(server) as guest:
        assert "readme.txt" in guest.get(path).text
        assert guest.get(path + "/download", params={"p": "readme.txt"}).content == b"public text"
        for trick in ("../private.txt", "..", "%2e%2e/private.txt", "/private.txt", "x/../.."):
            response = guest.get(path + "/download", params={"p": trick})
            assert response.status_code in (400, 404), trick
            assert b"not for you" not in response.content


def test_password_link(server: str, web: Browser) -> None:
    web.upload("salary.txt", b"numbers")
    path = _make_link(web, web.node_id("salary.txt"), password="open sesame").split(server, 1)[1]
    with _anonymous(server) as guest:
        assert guest.get(path + "/download").status_code == 404
        page = guest.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token and "protected by a password" in page.text
        wrong = guest.post(path + "/unlock", data={"csrf_token": token.group(1), "password": "x"})
        assert wrong.status_code == 401
        right = guest.post(
            path + "/unlock", data={"csrf_token": token.group(1), "password": "open sesame"}
        )
        assert right.status_code == 303
        assert guest.get(path + "/download").content == b"numbers"


def test_expired_and_revoked_links_stop_working(
    server: str, web: Browser, files_settings: Settings
) -> None:
    web.upload("old.txt", b"old")
    node = web.node_id("old.txt")
    expiring = _make_link(web, node).split(server, 1)[1]
    revoked = _make_link(web, node).split(server, 1)[1]
    engine = create_engine(files_settings.effective_database_url)
    with Session(engine) as db, db.begin():
        first = db.query(ShareLink).order_by(ShareLink.id).first()
        assert first is not None
        db.execute(
            update(ShareLink)
            .where(ShareLink.id == first.id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    engine.dispose()
    share_page = web.http.get("/files/share", params={"id": node})
    ids = re.findall(r'name="share" value="(\d+)"', share_page.text)
    web.post("/files/share/revoke", s="home", id=node, share=max(ids, key=int))
    with _anonymous(server) as guest:
        assert guest.get(expiring).status_code == 404
        assert guest.get(revoked + "/download").status_code == 404


def test_upload_only_link_receives_but_never_shows(server: str, web: Browser) -> None:
    web.post("/files/folder", s="home", p="", name="Inbox")
    web.upload("Inbox/existing.txt", b"do not show")
    path = _make_link(web, web.node_id("Inbox"), mode="upload").split(server, 1)[1]
    with _anonymous(server) as guest:
        page = guest.get(path)
        assert "existing.txt" not in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        sent = guest.post(
            path + "/upload",
            data={"csrf_token": token.group(1)},
            files={"files": ("existing.txt", b"from a stranger", "text/plain")},
        )
        assert sent.status_code == 303
        assert guest.get(path + "/download", params={"p": "existing.txt"}).status_code == 404
    listing = web.http.get("/files", params={"p": "Inbox"}).text
    assert "existing.txt" in listing and "existing (2).txt" in listing


def test_link_dies_when_the_sharer_loses_access(server: str, files_settings: Settings) -> None:
    alice = Browser(server, "alice@example.com")
    bob = Browser(server, "bob@example.com")
    _team_space(files_settings, "press", {"bob@example.com": "manage", "alice@example.com": "read"})
    bob.upload("release.txt", b"embargoed", space="team/press")
    link = _make_link(alice, alice.node_id("release.txt", space="team/press"), space="team/press")
    path = link.split(server, 1)[1]
    with _anonymous(server) as guest:
        assert guest.get(path + "/download").content == b"embargoed"
        from app.files import spaces

        engine = create_engine(files_settings.effective_database_url)
        with Session(engine) as db, db.begin():
            access = spaces.open_space(
                db, settings=files_settings, email="bob@example.com", mount="team/press"
            )
            spaces.set_member(db, access=access, email="alice@example.com", right=None)
        engine.dispose()
        assert guest.get(path + "/download").status_code == 404
    # A read-only member cannot make an upload link.
    refused = alice.post("/files/share", s="team/press", id=1, mode="upload")
    assert refused.status_code in (403, 404)
