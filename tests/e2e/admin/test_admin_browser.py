"""An organization admin creates a mailbox in Chromium (English and Persian, right-to-left)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from app.db import make_engine, make_session_factory
from app.directory import accounts, service
from tests.conftest import MailStackInfo, free_port
from tests.integration.directory.mailhelpers import imap_login, unique_domain

PASSWORD = "Browser-pass-1"


@pytest.fixture
def stack_server(mailstack: MailStackInfo) -> Iterator[str]:
    """The real app on the mail stack's database (managed accounts can sign in)."""
    from app.main import create_app

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(mailstack.settings.model_copy(update={"base_url": base_url}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield base_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def admin_email(mailstack: MailStackInfo) -> str:
    """An organization admin of a fresh managed domain."""
    domain = unique_domain()
    engine = make_engine(mailstack.settings)
    with make_session_factory(engine)() as db:
        org = service.create_organization(
            db, name="Browser Org", slug=domain.replace(".", "-"), domains=[]
        )
        service.add_domain(db, organization=org, name=domain, role_mailboxes=True)
        admin = service.create_account(
            db, email=f"admin-user@{domain}", organization_id=org.id, password=PASSWORD
        )
        accounts.set_role(db, account=admin, role="org_admin")
        db.commit()
    engine.dispose()
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
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".admin-tabs a[aria-current=page]").inner_text() == "حساب‌ها"
    # the refused duplicate answers 409 on purpose; nothing else may fail (CSP, scripts)
    assert [p for p in problems if "status of 409" not in p] == []
