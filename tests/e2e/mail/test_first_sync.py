"""In Chromium: a large never-synced inbox shows its newest page with a progress bar that
htmx keeps updating, then the page reloads itself with the whole folder."""

from __future__ import annotations

from typing import Any

from app.mail.sync import FIRST_BATCH
from app.settings import Settings
from tests.e2e.mail.test_reading import _sign_in
from tests.integration.mail.test_sync_lease import _seed

COUNT = FIRST_BATCH * 2 + 500


def test_progress_bar_then_the_complete_list(
    browser: Any, live_server: str, mailbox: str, migrated_settings: Settings
) -> None:
    _seed(migrated_settings, mailbox, COUNT)
    context, page, seen = _sign_in(browser, live_server, mailbox)
    assert page.locator("td.subject").first.inner_text() == f"bulk {COUNT - 1}"
    bar = page.locator(".sync-progress progress")
    first = int(bar.get_attribute("value") or 0)
    assert FIRST_BATCH <= first < COUNT
    # htmx polls the progress every second and, once done, reloads the page.
    page.wait_for_selector(f"text=Messages: {COUNT}", timeout=120_000)
    assert page.locator(".sync-progress").count() == 0
    assert page.locator("td.subject").first.inner_text() == f"bulk {COUNT - 1}"
    assert seen == {"leaks": [], "dialogs": [], "errors": []}
    context.close()
