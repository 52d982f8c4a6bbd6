"""Mail fixtures: a fresh mailbox per test, delivery through LMTP, a second IMAP client."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import imapclient
import pytest
from sqlalchemy.orm import Session

from app.auth.imap_login import ImapEndpoint
from app.db import make_engine, make_session_factory
from app.mail.imap import POOL, MailAccount
from app.settings import Settings
from tests.conftest import TEST_PASSWORD, MailStackInfo


@pytest.fixture
def mailbox(mailstack: MailStackInfo) -> str:
    """A brand-new, empty mailbox on the test stack."""
    return mailstack.mailboxes.take()


@pytest.fixture
def account(mailbox: str, settings: Settings) -> Iterator[MailAccount]:
    """The new mailbox as a signed-in session would use it."""
    key = uuid.uuid4().hex
    yield MailAccount(
        key=key,
        email=mailbox,
        password=TEST_PASSWORD,
        endpoint=ImapEndpoint.from_settings(settings),
    )
    POOL.close_session(key)


@pytest.fixture
def db(migrated_settings: Settings) -> Iterator[Session]:
    """A session on a migrated SQLite database."""
    engine = make_engine(migrated_settings)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def other_client(settings: Settings, address: str) -> imapclient.IMAPClient:
    """A second, independent IMAP client (another device of the same person)."""
    client = ImapEndpoint.from_settings(settings).connect()
    client.login(address, TEST_PASSWORD)
    return client


def make_message(
    *,
    to: str,
    subject: str = "Hello",
    sender: str = "Sara Ahmadi <sara@example.org>",
    body: str = "Hi there",
    html: str | None = None,
    message_id: str | None = None,
) -> bytes:
    """A simple RFC 5322 message."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.org>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def deliver(settings: Settings, to: str, raw: bytes) -> None:
    """Deliver ``raw`` into ``to``'s INBOX through Dovecot's LMTP (the real delivery path)."""
    with smtplib.LMTP("127.0.0.1", settings.mailstack_lmtp_port, timeout=30) as lmtp:
        refused = lmtp.sendmail("sender@example.org", [to], raw)
    assert not refused
