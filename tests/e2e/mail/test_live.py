"""Live update in Chromium: mail delivered through Postfix appears in the open inbox."""

from __future__ import annotations

import smtplib
from typing import Any

from app.settings import Settings
from tests.e2e.mail.test_reading import _sign_in
from tests.integration.mail.conftest import deliver, make_message


def test_new_mail_appears_in_the_open_inbox_with_the_count_in_the_title(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    deliver(migrated_settings, mailbox, make_message(to=mailbox, subject="already here"))
    context, page, seen = _sign_in(browser, live_server, mailbox)
    assert page.locator("td.subject").count() == 1
    page.wait_for_timeout(1000)  # the event stream is open and IDLE has started
    with smtplib.SMTP("127.0.0.1", migrated_settings.mailstack_smtp_in_port, timeout=30) as smtp:
        smtp.sendmail(
            "someone@example.org",
            [mailbox],
            make_message(to=mailbox, subject="تازه رسید: fresh mail", sender="someone@example.org"),
        )
    page.wait_for_selector("text=تازه رسید: fresh mail", timeout=20_000)
    page.wait_for_function("document.title.startsWith('(2) ')", timeout=10_000)
    assert page.locator("td.subject").count() == 2
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()
