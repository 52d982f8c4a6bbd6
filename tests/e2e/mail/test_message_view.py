"""The message view in Chromium: mark as read after N seconds, PDF preview, print view."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from app.settings import Settings
from tests.e2e.mail.test_reading import _sign_in
from tests.e2e.waiting import Requests, until
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.integration.mail.test_previews import pdf_message

# Let the page's own clock run past the mark-as-read delay: its timers fire in order, so one
# set for the delay (had it not been cancelled) would have gone off, and sent its request,
# before this one.
PAGE_SLEEP = "(ms) => new Promise((done) => setTimeout(done, ms))"


def _seen(settings: Settings, address: str, uid: int) -> bool:
    checker = other_client(settings, address)
    checker.select_folder("INBOX", readonly=True)
    flags = checker.get_flags([uid])[uid]
    checker.logout()
    return b"\\Seen" in flags


def test_mark_as_read_after_seconds_of_viewing(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    for subject in ("slow one", "left quickly"):
        deliver(migrated_settings, mailbox, make_message(to=mailbox, subject=subject))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    page.goto(f"{live_server}/settings")
    page.check("input[name=mark_read][value=delay]")
    page.fill("#mark_read_delay", "2")
    page.click(".settings-form button[type=submit]")
    page.wait_for_url(f"{live_server}/settings?saved=1")

    marks = Requests(page, "/mail/-/seen")
    # Leaving before the delay cancels it.
    page.goto(f"{live_server}/mail/INBOX/2")
    page.evaluate(PAGE_SLEEP, 500)
    page.goto(f"{live_server}/mail/INBOX/1")
    assert page.title().startswith("(2) slow one")
    assert not _seen(migrated_settings, mailbox, 1)
    # After two seconds on the page the message is read, and the counts follow.
    expect(page).to_have_title("(1) slow one · Hamkar")
    expect(page.locator('#mail-folders a[data-folder="INBOX"] .unread-count')).to_have_text("1")
    assert _seen(migrated_settings, mailbox, 1)
    assert len(marks.started) == 1  # the listener sees marks being sent
    # Leaving by htmx navigation cancels it too.
    page.click("text=Back to the list")
    page.click("text=left quickly")
    page.wait_for_selector('.message-view[data-uid="2"]')
    page.click("text=Back to the list")
    page.wait_for_selector("tr.message-row")
    page.evaluate(PAGE_SLEEP, 2500)
    until(page, marks.settled)
    assert len(marks.started) == 1
    assert not _seen(migrated_settings, mailbox, 2)
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()


def test_pdf_attachment_preview_opens_in_the_viewer(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    deliver(migrated_settings, mailbox, pdf_message(mailbox))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    page.goto(f"{live_server}/mail/INBOX/1")
    # Closed previews load nothing.
    assert not any("preview=1" in f.url for f in page.frames)
    with page.expect_response(lambda r: "preview=1" in r.url) as shown:
        page.locator("details.pdf-preview summary").first.click()
    response = shown.value
    assert response.header_value("content-type") == "application/pdf"
    policy = response.header_value("content-security-policy") or ""
    assert policy.endswith("; sandbox")
    # Chromium's PDF viewer runs in the frame (a blocked frame would be a chrome-error page).
    until(page, lambda: any(f.url.startswith("chrome-extension://") for f in page.frames))
    assert not any(f.url.startswith("chrome-error://") for f in page.frames)
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()


def test_print_view_opens_the_print_dialog(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    deliver(
        migrated_settings,
        mailbox,
        make_message(to=mailbox, subject="print me", html="<p>Total <b>42</b></p>"),
    )
    context, page, seen = _sign_in(browser, live_server, mailbox)
    # Count calls instead of opening a real dialog (the init script is not page script).
    context.add_init_script("window.__prints = 0; window.print = () => { window.__prints += 1; };")
    page.goto(f"{live_server}/mail/INBOX/1")
    with context.expect_page() as opened:
        page.click("a.print-link")
    printed = opened.value
    printed.wait_for_load_state("load")
    until(printed, lambda: printed.evaluate("window.__prints") == 1)
    assert printed.locator(".print-body b").inner_text() == "42"
    assert printed.locator(".print-headers").is_visible()
    printed.click(".print-now")
    assert printed.evaluate("window.__prints") == 2
    printed.emulate_media(media="print")
    assert not printed.locator(".print-tools").is_visible()
    assert printed.locator(".print-subject").is_visible()
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()
