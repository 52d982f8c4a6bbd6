"""An organization admin creates a mailbox in Chromium (English and Persian, right-to-left)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.directory import accounts, service
from tests.conftest import MailStackInfo
from tests.integration.directory.databases import session_on
from tests.integration.directory.mailhelpers import imap_login, unique_domain
from tests.live import serve

PASSWORD = "Browser-pass-1"


@pytest.fixture
def stack_server(mailstack: MailStackInfo) -> Iterator[str]:
    """The real app on the mail stack's database (managed accounts can sign in)."""
    with serve(mailstack.settings, http="auto") as base_url:
        yield base_url


@pytest.fixture
def admin_email(mailstack: MailStackInfo) -> str:
    """An organization admin of a fresh managed domain."""
    domain = unique_domain()
    with session_on(mailstack.settings) as db:
        org = service.create_organization(
            db, name="Browser Org", slug=domain.replace(".", "-"), domains=[]
        )
        service.add_domain(db, organization=org, name=domain, role_mailboxes=True)
        admin = service.create_account(
            db, email=f"admin-user@{domain}", organization_id=org.id, password=PASSWORD
        )
        accounts.set_role(db, account=admin, role="org_admin")
        db.commit()
    return admin.email


def test_admin_creates_a_mailbox_in_the_browser_and_it_works(
    browser: Any, stack_server: str, admin_email: str, mailstack: MailStackInfo
) -> None:
    domain = admin_email.split("@")[1]
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{stack_server}/login")
    page.fill("#email", admin_email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack_server}/mail/INBOX")
    page.click(".user-menu summary")
    page.click("a[href='/admin']")
    page.wait_for_url(f"{stack_server}/admin/accounts")
    assert page.locator("table.admin-table").inner_text().count(f"@{domain}") >= 5  # roles too

    page.fill("#email", f"carla@{domain}")
    page.fill("#display_name", "Carla Browser")
    page.fill("#password", "Carla-pass-123")
    page.click("form.admin-form button.primary")
    page.wait_for_url(f"{stack_server}/admin/accounts/*")
    assert "Saved." in page.locator("[role=status]").inner_text()
    imap_login(mailstack.settings, f"carla@{domain}", "Carla-pass-123").logout()

    # a duplicate is refused with the reason, the typed values kept
    page.goto(f"{stack_server}/admin/accounts")
    page.fill("#email", f"carla@{domain}")
    page.fill("#display_name", "Second Carla")
    page.fill("#password", "Carla-pass-123")
    page.click("form.admin-form button.primary")
    assert "already in use" in page.locator("[role=alert]").inner_text()
    assert page.input_value("#display_name") == "Second Carla"

    page.click("a.lang-fa")
    page.wait_for_url(f"{stack_server}/admin/accounts?lang=fa")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".admin-tabs a[aria-current=page]").inner_text() == "حساب‌ها"
    # the refused duplicate answers 409 on purpose; nothing else may fail (CSP, scripts)
    assert [p for p in problems if "status of 409" not in p] == []
