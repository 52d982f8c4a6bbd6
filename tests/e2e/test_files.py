"""Files in Chromium: upload with the picker and by drag-and-drop, preview, download a folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from tests.conftest import TEST_PASSWORD


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
