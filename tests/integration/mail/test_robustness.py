"""Huge messages and a server that goes away: a clear page, never a 500, nothing lost."""

from __future__ import annotations

import os
from email.message import EmailMessage

from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import free_port
from tests.integration.mail.conftest import deliver, make_message
from tests.integration.mail.test_pages import _signed_in


def test_a_50_mb_message_is_listed_and_opens_with_a_notice(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "big@example.org", mailbox, "huge"
    msg.set_content("see the attachment")
    msg.add_attachment(
        os.urandom(37 * 1024 * 1024), maintype="application", subtype="zip", filename="big.zip"
    )
    deliver(settings, mailbox, msg.as_bytes())
    _signed_in(client, mailbox)
    listing = client.get("/mail/INBOX")
    assert ">huge</bdi>" in listing.text and "📎" in listing.text
    opened = client.get("/mail/INBOX/1")
    assert opened.status_code == 200
    assert "This message is too large to display" in opened.text
    assert "Download source" in opened.text


def test_mail_server_down_gives_a_page_message(
    client: TestClient, mailbox: str, migrated_settings: Settings
) -> None:
    deliver(migrated_settings, mailbox, make_message(to=mailbox, subject="safe"))
    _signed_in(client, mailbox)
    assert client.get("/mail/INBOX").status_code == 200
    # The same data and sessions, but the IMAP server no longer answers.
    broken = migrated_settings.model_copy(update={"imap_port": free_port(), "imap_timeout": 2.0})
    with TestClient(create_app(broken), base_url="http://testserver") as down:
        down.cookies.update(client.cookies)
        page = down.get("/mail/INBOX")
        assert page.status_code == 503
        assert "cannot be reached" in page.text
    assert ">safe</bdi>" in client.get("/mail/INBOX").text  # back up: nothing lost


def test_live_events_for_a_missing_or_invalid_folder_is_404(
    client: TestClient, mailbox: str
) -> None:
    _signed_in(client, mailbox)
    for folder in ("No such folder", "", "a\x00b", "x\r\ny"):
        response = client.get("/mail/-/events", params={"folder": folder})
        assert response.status_code == 404, folder
        assert "There is no folder called" in response.text
