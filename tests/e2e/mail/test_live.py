"""Live update in Chromium: mail delivered through Postfix appears in the open inbox."""

from __future__ import annotations

import re
import smtplib
from typing import Any

from playwright.sync_api import expect

from app.settings import Settings
from tests.e2e.mail.test_reading import _sign_in
from tests.integration.mail.conftest import deliver, make_message


def test_new_mail_appears_in_the_open_inbox_with_the_count_in_the_title(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    deliver(migrated_settings, mailbox, make_message(to=mailbox, subject="already here"))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    # The event stream answers once its IMAP connection watches the folder: from then on no
    # change can go unnoticed. (Loading the page once more is how to see that answer come.)
    with page.expect_response(lambda r: "/mail/-/events" in r.url, timeout=30_000):
        page.goto(f"{live_server}/mail/INBOX")
    assert page.locator("td.subject").count() == 1
    with smtplib.SMTP("127.0.0.1", migrated_settings.mailstack_smtp_in_port, timeout=30) as smtp:
        smtp.sendmail(
            "someone@example.org",
            [mailbox],
            make_message(to=mailbox, subject="تازه رسید: fresh mail", sender="someone@example.org"),
        )
    page.wait_for_selector("text=تازه رسید: fresh mail", timeout=60_000)
    expect(page).to_have_title(re.compile(r"^\(2\) "))
    assert page.locator("td.subject").count() == 2
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()


def test_mail_that_came_before_the_stream_opened_still_appears(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    deliver(migrated_settings, mailbox, make_message(to=mailbox, subject="already here"))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    delivered: list[str] = []

    def late_stream(route: Any) -> None:
        # The page is shown; its stream is not watching yet: the message comes in between.
        if not delivered:
            deliver(migrated_settings, mailbox, make_message(to=mailbox, subject="in between"))
            delivered.append(route.request.url)
        route.continue_()

    # No mail page may be open while the route waits: its own stream (a reconnect) would
    # trigger the delivery before the page under test is even made.
    page.goto("about:blank")
    page.route("**/mail/-/events*", late_stream)
    response = page.goto(f"{live_server}/mail/INBOX")
    assert response is not None and "in between" not in response.text()
    page.wait_for_selector("text=in between", timeout=60_000)
    assert delivered
    expect(page).to_have_title(re.compile(r"^\(2\) "))
    assert page.locator("td.subject").count() == 2
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()
