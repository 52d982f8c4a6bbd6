"""A person creates an app password for their phone in Chromium, uses it, then revokes it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TEST_PASSWORD


def test_app_password_for_a_phone(browser: Any, live_server: str) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.fill("#email", "carol@example.org")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    page.goto(f"{live_server}/settings")
    page.click("a[href='/settings/devices']")
    page.wait_for_url(f"{live_server}/settings/devices")
    assert f"{live_server}/dav/principals/carol@example.org/" in page.inner_text(
        ".server-addresses"
    )
    page.fill("#app-password-name", "Carol's phone")
    page.click("text=Create app password")
    secret = page.inner_text(".app-password-value code").strip()
    assert len(secret.replace("-", "")) == 16
    phone = httpx.Client(auth=("carol@example.org", secret))
    answer = phone.request("PROPFIND", f"{live_server}/dav/", headers={"Depth": "0"})
    assert answer.status_code == 207
    page.goto(f"{live_server}/settings/devices")
    assert "Carol's phone" in page.inner_text("table.app-passwords")
    assert secret not in page.content()  # shown only once
    # The answer redirects to the page already shown: wait for that navigation, not the URL.
    with page.expect_navigation(url=f"{live_server}/settings/devices"):
        page.click("table.app-passwords button.danger")
    assert page.locator("table.app-passwords").count() == 0
    revoked = phone.request("PROPFIND", f"{live_server}/dav/", headers={"Depth": "0"})
    assert revoked.status_code == 401
    assert problems == [], problems
    context.close()
