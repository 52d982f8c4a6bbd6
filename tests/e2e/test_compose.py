"""Writing a message in Chromium: rich text, a dropped attachment, send, undo window, delivery."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.e2e.waiting import Requests, until
from tests.integration.mail.test_send import _wait_for


@pytest.fixture
def migrated_settings(migrated_settings: Settings) -> Iterator[Settings]:
    # A short undo window so the test sees the countdown and then the delivery.
    yield migrated_settings.model_copy(update={"undo_send_seconds": 3})


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", "alice@example.com")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/mail/INBOX")


def test_compose_with_dropped_attachment_and_send(
    browser: Any, live_server: str, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server)
    page.goto(f"{live_server}/mail/compose")
    page.fill("#to", "bob@example.com")
    page.fill("#subject", f"گزارش {marker}")
    page.click("#editor")
    page.keyboard.type("Hello Bob, ")
    page.click("button[data-command=bold]")
    page.keyboard.type("important")
    # Drop a file on the drop zone, as a person dragging it from the desktop would.
    data_transfer = page.evaluate_handle(
        """() => { const dt = new DataTransfer();
                   dt.items.add(new File(["quarterly numbers"], "گزارش.txt", {type: "text/plain"}));
                   return dt; }"""
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": data_transfer})
    page.wait_for_selector("#attachment-list li[data-id]")
    assert page.locator("#attachment-list .attachment-name").inner_text() == "گزارش.txt"

    page.click("#send-button")
    page.wait_for_url(f"{live_server}/mail/outbox?queued=*")
    expect(page.locator(".outbox-item.status-pending")).to_have_count(1)
    expect(page.locator(".undo-button")).to_have_text("Undo")

    received = _wait_for(migrated_settings, "bob@example.com", marker, timeout=60)
    assert received is not None, "the message never reached bob"
    html = received.get_body(("html",))
    assert html is not None and "<b>important</b>" in html.get_content()
    attachment = next(received.iter_attachments())
    assert attachment.get_filename() == "گزارش.txt"
    assert attachment.get_content().strip() == "quarterly numbers"
    # The outbox reloads itself once the message is due, until it has left: reloading from
    # here as well would race that navigation. The page that says so is the last one (it has
    # nothing left to count down, so it stays); a page between two reloads proves nothing.
    page.wait_for_selector(".outbox-page .empty-state", timeout=60_000)
    page.wait_for_load_state("load")
    assert page.locator(".outbox-item").count() == 0
    assert page.locator(".empty-state").inner_text() == "Your message has been sent."
    assert problems == [], problems
    context.close()


def test_autosave_keeps_the_draft(
    browser: Any, live_server: str, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, live_server)
    page.goto(f"{live_server}/mail/compose")
    page.fill("#subject", f"unfinished {marker}")
    page.click("#editor")
    page.keyboard.type("half a thought")
    # Autosave runs every 5 s, maybe once while the text was still being typed: the status
    # says "Draft saved" only when nothing typed is left out of the saved draft.
    expect(page.locator("#autosave-status")).to_have_text("Draft saved", timeout=30_000)
    expect(page.locator("input[name=draft_uid]")).to_have_value(re.compile(r"^\d+$"))
    draft = _wait_for(migrated_settings, "alice@example.com", marker, folder="Drafts")
    assert draft is not None
    body = draft.get_body(("plain",))
    assert body is not None and "half a thought" in body.get_content()
    context.close()


def test_recipient_autocomplete_with_the_keyboard(browser: Any, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, live_server)  # alice is now in the directory
    page.goto(f"{live_server}/mail/compose")
    searches = Requests(page, "/mail/compose/recipients")
    page.click("#to")
    page.keyboard.type("ali")
    expect(page.locator("#to-suggestions li").first).to_contain_text("alice@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#to")).to_have_value(re.compile(r"^alice <alice@example\.com>, "))
    # Every search typed before the choice has its answer now: a late one did not reopen it.
    until(page, searches.settled)
    assert searches.started
    assert page.locator("#to-suggestions").is_hidden()
    context.close()
