"""Reading mail in Chromium: open a message; hostile mail runs nothing and leaks nothing."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.e2e.mail.corpus import BEACON, corpus
from tests.e2e.waiting import until
from tests.integration.mail.conftest import deliver, make_message


def _sign_in(browser: Any, live_server: str, address: str) -> tuple[Any, Any, dict[str, list[str]]]:
    context = browser.new_context(locale="en-US")
    seen: dict[str, list[str]] = {"leaks": [], "dialogs": [], "errors": []}

    def route(route: Any) -> None:
        url = route.request.url
        # The browser's own pages (its PDF viewer) are not requests to the network.
        if url.startswith(live_server) or url.startswith(
            ("data:", "about:", "chrome://", "chrome-extension://")
        ):
            route.continue_()
        else:
            seen["leaks"].append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.goto(f"{live_server}/login?next=/mail/INBOX")
    page.fill("#email", address)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    return context, page, seen


def test_open_a_message_from_the_inbox(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    html = "<h2>Quarterly numbers</h2><p>Revenue <b>up</b> 12%</p>"
    deliver(
        migrated_settings, mailbox, make_message(to=mailbox, subject="گزارش فصلی Q3", html=html)
    )
    context, page, seen = _sign_in(browser, live_server, mailbox)
    assert page.title().startswith("(1) ")
    page.click("text=گزارش فصلی Q3")
    page.wait_for_url(f"{live_server}/mail/INBOX/1")
    assert page.locator("h1.message-subject").inner_text() == "گزارش فصلی Q3"
    frame = page.frame_locator("iframe.message-body-frame")
    assert frame.locator("h2").inner_text() == "Quarterly numbers"
    page.click("text=Back to the list")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    expect(page.locator("tr.message-row")).to_have_count(1)
    assert page.locator("tr.message-row.unread").count() == 0  # read on open
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()


def test_hostile_mail_runs_no_script_and_makes_no_remote_request(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    items = corpus(mailbox)
    for _name, raw in items:
        deliver(migrated_settings, mailbox, raw)
    context, page, seen = _sign_in(browser, live_server, mailbox)
    for uid, (name, _raw) in enumerate(items, start=1):
        response = page.goto(f"{live_server}/mail/INBOX/{uid}")
        assert response is not None and response.status == 200, name
        page.wait_for_load_state("load")
        for frame in page.frames:
            frame.wait_for_load_state("load")
        assert page.evaluate("document.title").endswith("Hamkar"), name
        assert seen == {"leaks": [], "dialogs": [], "errors": []}, name
    # The bidi-override file name is shown and offered neutralised.
    assert "\u202e" not in page.content()
    assert page.locator(".attachments a").inner_text() == "photognp.exe"
    # The spoofed display name is shown with the real address next to it.
    page.goto(f"{live_server}/mail/INBOX/{len(items) - 1}")
    assert "attacker@evil.example" in page.locator(".message-headers").inner_text()
    # Only when the reader allows remote content for this message does the image load
    # (which also shows the leak detector above works).
    remote_uid = next(i for i, (name, _) in enumerate(items, start=1) if name == "remote image")
    page.goto(f"{live_server}/mail/INBOX/{remote_uid}?remote=1")
    until(page, lambda: any(url.startswith(BEACON) for url in seen["leaks"]))
    context.close()


def test_keyboard_shortcuts(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    for subject in ("first", "second"):
        deliver(migrated_settings, mailbox, make_message(to=mailbox, subject=subject))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    page.keyboard.press("j")
    page.keyboard.press("j")  # the second row: the older message
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server}/mail/INBOX/1")
    page.keyboard.press("p")  # newer
    page.wait_for_url(f"{live_server}/mail/INBOX/2")
    page.keyboard.press("u")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    page.wait_for_selector("tr.message-row")
    assert not page.locator("#shortcut-help").is_visible()
    page.keyboard.press("?")
    assert page.locator("#shortcut-help").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("s")  # flag the message under the cursor
    page.wait_for_selector("tr.message-row.flagged")
    page.wait_for_load_state("load")  # the reloaded page's deferred scripts have run
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()


def test_drag_a_message_onto_a_folder_moves_it(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    deliver(migrated_settings, mailbox, make_message(to=mailbox, subject="drag me"))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    page.drag_and_drop("tr.message-row", '.mail-folders a[data-folder="Archive"]')
    page.wait_for_selector("text=Moved to Archive: 1.")
    assert page.locator("tr.message-row").count() == 0
    page.goto(f"{live_server}/mail/Archive")
    assert page.locator("td.subject").inner_text().startswith("drag me")
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()
