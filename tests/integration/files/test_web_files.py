"""The web file browser over real HTTP: uploads, listing, downloads, previews, trash, versions."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A signed-in web user: cookie session plus the CSRF token of the pages."""

    def __init__(self, base_url: str, email: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        token = _TOKEN.search(self.http.get("/login").text)
        assert token
        done = self.http.post(
            "/login",
            data={"csrf_token": token.group(1), "email": email, "password": TEST_PASSWORD},
        )
        assert done.status_code == 303, done.text
        page = self.http.get("/files")
        found = _TOKEN.search(page.text)
        assert found, page.text
        self.token = found.group(1)

    def upload(
        self, name: str, body: bytes, space: str = "home", path: str = "", **headers: str
    ) -> httpx.Response:
        return self.http.post(
            "/files/upload",
            params={"s": space, "p": path, "name": name},
            content=body,
            headers={"X-CSRF-Token": self.token, **headers},
        )

    def post(self, url: str, **data: object) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.token, **data})

    def node_id(self, name: str, space: str = "home", path: str = "") -> int:
        page = self.http.get("/files", params={"s": space, "p": path})
        match = re.search(
            r'data-id="(\d+)">\s*<td><input[^>]*>\s*</td>\s*<td class="files-name">\s*<a[^>]*><bdi>'
            + re.escape(name)
            + "</bdi>",
            page.text,
        )
        assert match, page.text
        return int(match.group(1))


@pytest.fixture
def web(server: str) -> Iterator[Browser]:
    user = Browser(server, "alice@example.com")
    yield user
    user.http.close()


def test_upload_list_download(web: Browser) -> None:
    assert web.upload("notes.txt", b"remember the milk").status_code == 200
    assert web.upload("trip/photos/a.jpg", b"\xff\xd8jpeg").status_code == 200
    listing = web.http.get("/files")
    assert "notes.txt" in listing.text and "trip" in listing.text
    inner = web.http.get("/files", params={"p": "trip/photos"})
    assert "a.jpg" in inner.text
    node = web.node_id("notes.txt")
    body = web.http.get("/files/download", params={"id": node})
    assert body.content == b"remember the milk"
    assert body.headers["content-disposition"].startswith("attachment")


def test_folder_downloads_as_streamed_zip(web: Browser) -> None:
    web.upload("proj/a.txt", b"A" * 1000)
    web.upload("proj/sub/b.txt", b"B")
    response = web.http.get("/files/download", params={"id": web.node_id("proj")})
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.read("proj/a.txt") == b"A" * 1000
    assert archive.read("proj/sub/b.txt") == b"B"


def test_upload_needs_csrf_token(web: Browser) -> None:
    refused = web.http.post("/files/upload", params={"name": "x.txt"}, content=b"x")
    assert refused.status_code == 403
    assert "x.txt" not in web.http.get("/files").text


def test_new_folder_rename_move_copy_delete_restore(web: Browser) -> None:
    web.post("/files/folder", s="home", p="", name="Archive")
    web.upload("draft.txt", b"v1")
    draft = web.node_id("draft.txt")
    assert web.post("/files/rename", s="home", id=draft, name="final.txt").status_code == 303
    assert "final.txt" in web.http.get("/files").text
    web.post("/files/transfer", s="home", id=draft, op="copy", dest="Archive")
    assert "final.txt" in web.http.get("/files", params={"p": "Archive"}).text
    web.post("/files/delete", s="home", id=draft)
    assert "final.txt" not in web.http.get("/files").text
    trash = web.http.get("/files/trash")
    assert "final.txt" in trash.text
    web.post("/files/trash/restore", s="home", id=draft)
    assert "final.txt" in web.http.get("/files").text


def test_versions_listed_downloaded_and_restored(web: Browser) -> None:
    web.upload("plan.txt", b"first plan")
    web.upload("plan.txt", b"second plan")
    node = web.node_id("plan.txt")
    preview = web.http.get("/files/preview", params={"id": node})
    version = re.search(r"/files/version\?s=home&amp;id=\d+&amp;v=(\d+)", preview.text)
    assert version
    old = web.http.get("/files/version", params={"id": node, "v": version.group(1)})
    assert old.content == b"first plan"
    web.post("/files/version/restore", s="home", id=node, v=version.group(1))
    assert web.http.get("/files/raw", params={"id": node}).content == b"first plan"


def test_conflicting_save_becomes_a_version_not_an_overwrite(web: Browser) -> None:
    first = web.upload("shared.txt", b"base")
    etag = first.headers["etag"]
    web.upload("shared.txt", b"carol's change", **{"X-Base-ETag": etag})
    mine = web.upload("shared.txt", b"my change from base", **{"X-Base-ETag": etag})
    assert mine.status_code == 409
    node = web.node_id("shared.txt")
    assert web.http.get("/files/raw", params={"id": node}).content == b"carol's change"
    preview = web.http.get("/files/preview", params={"id": node})
    assert "conflicting save" in preview.text


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("evil.html", b"<script>alert(1)</script>"),
        ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("evil.txt", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_previews_never_serve_active_content_from_our_origin(
    web: Browser, name: str, body: bytes
) -> None:
    web.upload(name, body)
    response = web.http.get("/files/raw", params={"id": web.node_id(name), "inline": 1})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    kind = response.headers["content-type"]
    disposition = response.headers["content-disposition"]
    assert "html" not in kind and "svg" not in kind
    assert disposition.startswith("attachment") or kind.startswith("text/plain")


def test_image_previews_inline(web: Browser) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
    web.upload("pic.png", png, **{"Content-Type": "image/png"})
    response = web.http.get("/files/raw", params={"id": web.node_id("pic.png"), "inline": 1})
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["content-type"] == "image/png"


def test_search_by_name(web: Browser) -> None:
    web.upload("deep/er/Quarterly-Report.xlsx", b"x")
    web.upload("other.txt", b"y")
    found = web.http.get("/files", params={"q": "quarterly"})
    assert "Quarterly-Report.xlsx" in found.text and "deep/er/Quarterly-Report.xlsx" in found.text
    assert "other.txt" not in found.text


def test_other_users_files_cannot_be_reached_by_id(server: str, web: Browser) -> None:
    web.upload("private.txt", b"alice's secret")
    node = web.node_id("private.txt")
    bob = Browser(server, "bob@example.com")
    for url in ("/files/raw", "/files/download", "/files/preview"):
        response = bob.http.get(url, params={"id": node})
        assert response.status_code == 404, url
        assert b"alice's secret" not in response.content
    assert bob.post("/files/delete", s="home", id=node).status_code == 404
    assert bob.http.get("/files", params={"s": "team/nope"}).status_code == 404
    assert web.http.get("/files/raw", params={"id": node}).content == b"alice's secret"


def test_upload_over_quota_is_refused_and_leaves_nothing(
    files_settings: object, web: Browser
) -> None:
    from tests.integration.files.test_webdav import _set_quota

    web.upload("tiny.txt", b"1")
    _set_quota(files_settings, "alice@example.com", 50)  # type: ignore[arg-type]
    refused = web.upload("big.bin", b"x" * 200)
    assert refused.status_code == 507
    assert "quota" in refused.text
    assert "big.bin" not in web.http.get("/files").text


def test_lock_holder_is_shown(server: str, web: Browser) -> None:
    web.upload("budget.ods", b"v1")
    with httpx.Client(auth=("alice@example.com", TEST_PASSWORD)) as dav:
        lock = dav.request(
            "LOCK",
            f"{server}/webdav/home/budget.ods",
            content=b'<?xml version="1.0"?><lockinfo xmlns="DAV:"><lockscope><exclusive/>'
            b"</lockscope><locktype><write/></locktype><owner>LibreOffice</owner></lockinfo>",
        )
        assert lock.status_code == 200
    assert "Locked by alice@example.com" in web.http.get("/files").text
