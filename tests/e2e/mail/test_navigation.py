"""htmx navigation in Chromium: folders and messages swap only the main area, the title and
unread counts follow, back and forward restore the right view, and every URL loads alone."""

from __future__ import annotations

from typing import Any

from app.settings import Settings
from tests.e2e.mail.test_reading import _sign_in
from tests.integration.mail.conftest import deliver, make_message, other_client


def _same_document(page: Any) -> bool:
    """True while no full page load happened since ``_mark``."""
    return bool(page.evaluate("window.__hamkarMark === 1"))


def _mark(page: Any) -> None:
    page.evaluate("window.__hamkarMark = 1")


def _current_folder(page: Any) -> str:
    return str(page.locator('#mail-folders a[aria-current="page"]').get_attribute("data-folder"))


def _subjects(page: Any) -> list[str]:
    return [s.strip() for s in page.locator("td.subject a").all_inner_texts()]


def test_folders_and_messages_swap_the_main_area_and_history_works(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    for subject in ("alpha", "beta"):
        deliver(migrated_settings, mailbox, make_message(to=mailbox, subject=subject))
    other = other_client(migrated_settings, mailbox)
    other.create_folder("Work")
    other.append("Work", make_message(to=mailbox, subject="work item"))
    other.logout()
    context, page, seen = _sign_in(browser, live_server, mailbox)
    assert page.title() == "(2) Mail · Hamkar"
    _mark(page)

    page.click('#mail-folders a[data-folder="Work"]')
    page.wait_for_url(f"{live_server}/mail/Work")
    page.wait_for_selector("text=work item")
    assert _same_document(page) and _current_folder(page) == "Work"
    assert page.title() == "(2) Mail · Hamkar"

    page.click("text=work item")
    page.wait_for_url(f"{live_server}/mail/Work/1")
    page.wait_for_selector("h1.message-subject")
    assert _same_document(page)
    assert page.title() == "(2) work item · Hamkar"
    assert page.locator('#mail-folders a[data-folder="Work"] .unread-count').count() == 0

    page.go_back()
    page.wait_for_url(f"{live_server}/mail/Work")
    page.wait_for_selector("td.subject")
    assert _subjects(page) == ["work item"] and page.locator("tr.unread").count() == 0
    assert page.title() == "(2) Mail · Hamkar" and _current_folder(page) == "Work"

    page.go_back()
    page.wait_for_url(f"{live_server}/mail/INBOX")
    page.wait_for_selector("text=alpha")
    assert _subjects(page) == ["beta", "alpha"] and _current_folder(page) == "INBOX"
    assert page.title() == "(2) Mail · Hamkar"

    page.go_forward()
    page.wait_for_url(f"{live_server}/mail/Work")
    page.wait_for_selector("text=work item")
    assert _current_folder(page) == "Work"
    page.go_forward()
    page.wait_for_url(f"{live_server}/mail/Work/1")
    page.wait_for_selector("h1.message-subject")
    assert page.locator("h1.message-subject").inner_text() == "work item"
    assert page.title() == "(2) work item · Hamkar"
    assert _same_document(page)  # back and forward never reloaded the page

    # Opening an inbox message counts it at once; "Back to the list" swaps back too.
    page.click('#mail-folders a[data-folder="INBOX"]')
    page.wait_for_selector("text=alpha")
    page.click("text=alpha")
    page.wait_for_url(f"{live_server}/mail/INBOX/1")
    page.wait_for_selector("h1.message-subject")
    assert page.title() == "(1) alpha · Hamkar"
    assert page.locator('#mail-folders a[data-folder="INBOX"] .unread-count').inner_text() == "1"
    page.click("text=Back to the list")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    page.wait_for_selector("tr.message-row")
    assert page.locator("tr.unread").count() == 1 and _same_document(page)

    # The search box swaps the main area too, and back returns to the list.
    page.fill(".mail-search input[name=q]", "beta")
    page.press(".mail-search input[name=q]", "Enter")
    page.wait_for_url(lambda url: "/mail/search?q=beta&" in url)
    page.wait_for_selector("table.search-results")
    assert _subjects(page) == ["beta"] and page.title() == "(1) Search · Hamkar"
    assert _same_document(page)
    page.go_back()
    page.wait_for_url(f"{live_server}/mail/INBOX")
    # The URL changes at once, the list comes from the server after it (the results have rows
    # too): reloading before it came would race htmx's request.
    page.wait_for_selector("table.search-results", state="detached")
    page.wait_for_selector("tr.message-row")

    # Every address still loads as a page of its own.
    page.reload()
    assert not _same_document(page)
    assert page.title() == "(1) Mail · Hamkar" and _subjects(page) == ["beta", "alpha"]
    page.goto(f"{live_server}/mail/Work/1")
    assert page.locator("h1.message-subject").inner_text() == "work item"
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()


def test_keyboard_and_a_vanished_message_after_htmx_navigation(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    for subject in ("first", "second", "third"):
        deliver(migrated_settings, mailbox, make_message(to=mailbox, subject=subject))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    _mark(page)
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server}/mail/INBOX/3")
    page.wait_for_selector("h1.message-subject")
    page.keyboard.press("n")  # older
    page.wait_for_url(f"{live_server}/mail/INBOX/2")
    page.wait_for_selector("text=second")
    page.keyboard.press("u")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    page.wait_for_selector("tr.message-row")
    page.keyboard.press("j")  # the cursor starts again on the new list
    assert page.locator("tr.selected-row td.subject").inner_text().strip() == "third"
    assert _same_document(page)
    # A message deleted elsewhere (never opened here): the link falls back to a full page,
    # which shows the error. A ticked message keeps live updates from refreshing the list
    # (they would take the stale link away before the click).
    page.locator('tr.message-row:has-text("second") input[name=uid]').check()
    other = other_client(migrated_settings, mailbox)
    other.select_folder("INBOX")
    other.delete_messages([1])
    other.expunge()
    other.logout()
    with page.expect_event("load"):  # a full page load, not a swap
        page.click("text=first")
    page.wait_for_selector("text=This message does not exist any more.")
    assert not _same_document(page)
    assert seen["leaks"] == [] and seen["dialogs"] == []
    context.close()
