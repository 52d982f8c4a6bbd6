"""A person signs in as alice in Chromium, switches to Persian and gets a right-to-left page."""

from __future__ import annotations

from typing import Any

from tests.conftest import TEST_PASSWORD


def _collect_problems(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def test_alice_signs_in_and_switches_to_persian(browser: Any, live_server: str) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    problems = _collect_problems(page)
    page.goto(f"{live_server}/mail")
    assert page.url.startswith(f"{live_server}/login")
    page.fill("#email", "alice@example.com")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("nav.sections a[aria-current=page]").inner_text() == "Mail"

    page.click("a.lang-fa")
    page.wait_for_url(f"{live_server}/mail/INBOX?lang=fa")
    html = page.locator("html")
    assert html.get_attribute("lang") == "fa"
    assert html.get_attribute("dir") == "rtl"
    assert page.locator("nav.sections a[aria-current=page]").inner_text() == "نامه‌ها"
    # Right-to-left for real: the brand sits at the right edge, the user menu at the left.
    brand = page.locator(".brand").bounding_box()
    menu = page.locator(".user-menu").bounding_box()
    assert brand is not None and menu is not None
    assert brand["x"] > menu["x"]
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The Persian font is shipped and used (once the fonts the page asked for have loaded).
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px Vazirmatn'))")

    # The choice is remembered on the next page without ?lang.
    page.goto(f"{live_server}/calendar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert problems == [], problems  # no CSP violations, no script errors
    context.close()


def test_sign_out_from_the_user_menu(browser: Any, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", "bob@example.com")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/mail/INBOX")
    page.click(".user-menu summary")
    page.click("text=Sign out")
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/files")
    assert page.url.startswith(f"{live_server}/login")
    context.close()


def test_wrong_password_shows_the_message(browser: Any, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/login?lang=fa")
    page.fill("#email", "alice@example.com")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert page.locator("#login-error").inner_text() == "نشانی ایمیل یا گذرواژه نادرست است."
    context.close()
