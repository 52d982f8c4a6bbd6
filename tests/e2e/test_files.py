"""Files in Chromium: upload with the picker and by drag-and-drop, preview, download a folder."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.live import serve


def _sign_in(browser: Any, live_server: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="en-US", accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.fill("#email", "alice@example.com")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    return context, page, problems


def test_upload_preview_and_download(browser: Any, live_server: str, tmp_path: Path) -> None:
    context, page, problems = _sign_in(browser, live_server)
    page.goto(f"{live_server}/files")
    first, second = tmp_path / "hello.txt", tmp_path / "numbers.csv"
    first.write_text("Hello from Chromium")
    second.write_text("1,2,3\n")
    page.set_input_files("#files-input", [str(first), str(second)])
    with page.expect_navigation():
        page.click(".files-upload-form button[type=submit]")
    assert page.locator(".files-name", has_text="hello.txt").count() == 1
    assert page.locator(".files-name", has_text="numbers.csv").count() == 1

    # Drag-and-drop of a file onto the page.
    with page.expect_navigation():
        page.evaluate(
            """() => {
              const dt = new DataTransfer();
              dt.items.add(new File(["dropped body"], "dropped.txt", {type: "text/plain"}));
              document.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
            }"""
        )
    assert page.locator(".files-name", has_text="dropped.txt").count() == 1

    page.click("text=hello.txt")
    assert page.locator("pre.files-text").inner_text() == "Hello from Chromium"
    with page.expect_download() as info:
        page.click("a.button.primary")
    assert Path(info.value.path()).read_text() == "Hello from Chromium"

    # Select everything and download it as one zip.
    page.goto(f"{live_server}/files")
    page.check("[data-select-all]")
    with page.expect_download() as info:
        page.click("button[formaction='/files/download']")
    archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert sorted(archive.namelist()) == ["dropped.txt", "hello.txt", "numbers.csv"]
    assert problems == [], problems
    context.close()


def test_folder_picker_keeps_structure(browser: Any, live_server: str, tmp_path: Path) -> None:
    context, page, problems = _sign_in(browser, live_server)
    page.goto(f"{live_server}/files")
    folder = tmp_path / "Holiday"
    (folder / "day1").mkdir(parents=True)
    (folder / "day1" / "beach.txt").write_text("sand")
    (folder / "notes.txt").write_text("sun")
    with page.expect_navigation():
        page.set_input_files("[data-folder-input]", str(folder))
    assert page.locator(".files-name", has_text="Holiday").count() == 1
    page.goto(f"{live_server}/files?s=home&p=Holiday/day1")
    assert page.locator(".files-name", has_text="beach.txt").count() == 1
    assert problems == [], problems
    context.close()


def test_shift_click_selects_a_range(browser: Any, live_server: str, tmp_path: Path) -> None:
    context, page, problems = _sign_in(browser, live_server)
    page.goto(f"{live_server}/files")
    paths = []
    for number in range(1, 7):
        path = tmp_path / f"file-{number}.txt"
        path.write_text(str(number))
        paths.append(str(path))
    page.set_input_files("#files-input", paths)
    with page.expect_navigation():
        page.click(".files-upload-form button[type=submit]")
    boxes = page.locator("input[data-ids]")
    assert boxes.count() == 6

    boxes.nth(1).click()
    boxes.nth(4).click(modifiers=["Shift"])
    checked = [boxes.nth(i).is_checked() for i in range(6)]
    assert checked == [False, True, True, True, True, False]
    assert page.locator("tr.is-selected").count() == 4

    # Shift-click upwards from the last clicked row clears the range again.
    boxes.nth(4).click()
    boxes.nth(2).click(modifiers=["Shift"])
    assert [boxes.nth(i).is_checked() for i in range(6)] == [
        False,
        True,
        False,
        False,
        False,
        False,
    ]

    with page.expect_navigation():
        boxes.nth(3).click()
        boxes.nth(5).click(modifiers=["Shift"])
        page.click("button[formaction='/files/delete']")
    names = page.locator(".files-name").all_inner_texts()
    # Selected were rows 1 and 3-5: file-2, file-4, file-5 and file-6 went to the trash.
    assert [name.strip() for name in names] == ["file-1.txt", "file-3.txt"]
    assert problems == [], problems
    context.close()


def test_grid_view_shows_thumbnails(browser: Any, live_server: str, tmp_path: Path) -> None:
    from PIL import Image

    context, page, problems = _sign_in(browser, live_server)
    page.goto(f"{live_server}/files")
    photo, broken = tmp_path / "photo.png", tmp_path / "broken.png"
    Image.new("RGB", (900, 600), (10, 120, 200)).save(photo)
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    page.set_input_files("#files-input", [str(photo), str(broken)])
    with page.expect_navigation():
        page.click(".files-upload-form button[type=submit]")
    page.goto(f"{live_server}/files?s=home&view=grid")
    thumb = page.locator("img.files-thumb")
    expect(thumb).to_have_count(1)  # the broken one fell back to its icon
    # the browser loaded and decoded the real thumbnail
    assert thumb.first.evaluate("(img) => img.decode().then(() => img.naturalWidth)") == 256
    problems = [p for p in problems if "404" not in p]  # the refused thumbnail's request
    assert problems == [], problems
    context.close()


@pytest.fixture
def small_chunks(migrated_settings: Settings) -> Iterator[str]:
    """A live server whose browser uploads go in 64 KiB chunks above 64 KiB."""
    with serve(migrated_settings.model_copy(update={"files_upload_chunk_bytes": 65536})) as url:
        yield url


def test_big_upload_resumes_after_a_dropped_connection(
    browser: Any, small_chunks: str, tmp_path: Path
) -> None:
    context, page, problems = _sign_in(browser, small_chunks)
    page.goto(f"{small_chunks}/files")
    body = os.urandom(300_000)
    big = tmp_path / "big.bin"
    big.write_bytes(body)
    seen: list[str] = []
    dropped: list[str] = []

    def cut_one_chunk(route: Any, request: Any) -> None:
        seen.append(f"{request.method} {request.url}")
        if request.method == "POST" and "offset=131072" in request.url and not dropped:
            dropped.append(request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/files/uploads/**", cut_one_chunk)
    page.set_input_files("#files-input", str(big))
    with page.expect_navigation(timeout=60_000):
        page.click(".files-upload-form button[type=submit]")
    assert dropped, seen
    asked = [line for line in seen if line.startswith("GET ")]
    assert asked, seen  # after the drop the browser asked the server for its offset
    chunks = [line for line in seen if line.startswith("POST ") and "offset=" in line]
    assert len(chunks) == 6  # four chunks of 64 KiB and a short one, plus the one cut: none twice
    node = page.locator("tr.files-row", has_text="big.bin").get_attribute("data-id")
    downloaded = page.request.get(f"{small_chunks}/files/raw?s=home&id={node}")
    assert downloaded.body() == body
    problems = [p for p in problems if "ERR_CONNECTION_RESET" not in p and "ERR_FAILED" not in p]
    assert problems == [], problems
    context.close()
