"""Thumbnails in the grid view: made once per body, small, cached; hostile images (huge
dimensions, decompression bombs, garbage) get none, and never a server error."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import pytest
from PIL import Image

from app.files.storage import store_for
from app.settings import Settings
from tests.integration.files.test_web_files import Browser


@pytest.fixture
def web(server: str) -> Iterator[Browser]:
    user = Browser(server, "alice@example.com")
    yield user
    user.http.close()


def _photo(width: int, height: int, kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(out, kind)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header announces ``width`` x ``height`` with a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_grid_shows_a_small_cached_thumbnail(files_settings: Settings, web: Browser) -> None:
    web.upload("sunset.jpg", _photo(1600, 900), **{"Content-Type": "image/jpeg"})
    node = web.node_id("sunset.jpg")
    grid = web.http.get("/files", params={"view": "grid"}).text
    assert f"/files/thumb?s=home&amp;id={node}" in grid
    assert "/files/thumb" not in web.http.get("/files").text  # the list view has none

    first = web.http.get("/files/thumb", params={"id": node})
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert first.headers["x-content-type-options"] == "nosniff"
    small = Image.open(io.BytesIO(first.content))
    assert max(small.size) == files_settings.files_thumb_size and small.size[0] > small.size[1]
    assert len(first.content) < 20_000
    cached = list(store_for(files_settings).thumbs.glob("*/*.jpg"))
    assert len(cached) == 1
    made_at = cached[0].stat().st_mtime_ns
    again = web.http.get("/files/thumb", params={"id": node})
    assert again.content == first.content and cached[0].stat().st_mtime_ns == made_at

    # A copy shares the body, so it shares the thumbnail: still one on disk.
    web.upload("copy.jpg", _photo(1600, 900), **{"Content-Type": "image/jpeg"})
    web.http.get("/files/thumb", params={"id": web.node_id("copy.jpg")})
    assert len(list(store_for(files_settings).thumbs.glob("*/*.jpg"))) == 1


def test_transparent_images_keep_their_alpha(web: Browser) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (400, 400), (0, 0, 0, 0)).save(out, "PNG")
    web.upload("logo.png", out.getvalue(), **{"Content-Type": "image/png"})
    thumb = web.http.get("/files/thumb", params={"id": web.node_id("logo.png")})
    assert thumb.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(thumb.content)).mode == "RGBA"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("bomb.png", _png_claiming(100_000, 100_000)),  # Pillow's own bomb error
        ("wide.png", _png_claiming(20_000, 3_000)),  # 60 Mpx: under Pillow's limit, over ours
        ("garbage.png", b"\x89PNG\r\n\x1a\n" + b"\xff" * 500),
        ("truncated.jpg", _photo(800, 600)[:700]),
    ],
    ids=["bomb", "too-many-pixels", "garbage", "truncated"],
)
def test_hostile_images_are_refused_cleanly(
    files_settings: Settings, web: Browser, name: str, body: bytes
) -> None:
    media = "image/png" if name.endswith(".png") else "image/jpeg"
    web.upload(name, body, **{"Content-Type": media})
    node = web.node_id(name)
    refused = web.http.get("/files/thumb", params={"id": node})
    assert refused.status_code == 404
    assert web.http.get("/files/thumb", params={"id": node}).status_code == 404
    assert len(list(store_for(files_settings).thumbs.glob("*/*.none"))) == 1  # tried once
    assert web.http.get("/files", params={"view": "grid"}).status_code == 200


def test_thumbnails_only_for_images_of_the_users_own_spaces(server: str, web: Browser) -> None:
    web.upload("notes.txt", b"text")
    assert web.http.get("/files/thumb", params={"id": web.node_id("notes.txt")}).status_code == 404
    web.upload("mine.jpg", _photo(300, 300), **{"Content-Type": "image/jpeg"})
    bob = Browser(server, "bob@example.com")
    assert bob.http.get("/files/thumb", params={"id": web.node_id("mine.jpg")}).status_code == 404
